"""Publishing a built site to a target (FTP/FTPS, SFTP, S3, file, any fsspec URL).

``runner.deploy`` reads like the pipeline: local manifest -> lease -> remote
state -> plan -> uploads (assets, then HTML) -> deletes -> manifest commit.
Targets are plugins registered per URL scheme (``ssg_deploy_targets``).
"""
