"""Deploy target ``s3://bucket/prefix`` (and S3-compatible stores through
``endpoint_url``), on boto3 with AWS's usual credential chain (environment,
shared config and credentials files, SSO, instance roles).

- Each PUT is atomic per key (a reader sees the old or the new object, never
  a mix), so there is no temporary name; nothing is atomic across keys.
- The lease's exclusive create is ``PutObject`` with ``If-None-Match: *``
  (412 or 409 means someone else created it); the holder renews its own slot
  with ``If-Match`` on the ETag it wrote, so a renewal never overwrites a
  slot someone else changed.
- Every upload and delete is conditional on the ETag the file had when this
  deploy took the lock (``If-Match``, or ``If-None-Match: *`` for a new file):
  a deployer that stalled past its lease and resumes mid-upload fails with 412
  instead of overwriting what the deploy that took over published.
- Content-Type comes from the extension (``content_types`` overrides it),
  Cache-Control from ``cache_control`` globs."""

from __future__ import annotations

import fnmatch
import mimetypes
import uuid

from ssg.api import ConfigError, DeployError, DeployTarget, Option, Table, hookimpl

_LOST_RACE = ("PreconditionFailed", "ConditionalRequestConflict", "412", "409")


_LOADER: list = []          # botocore's loader of the service models, made once per process


def _botocore_session():
    """A new botocore session (its own credentials chain, as ever) sharing one data
    loader: reading and parsing S3's service model costs 0.2-0.5 s, and the test
    suite and long-lived processes deploy many times in one process."""
    import botocore.loaders
    import botocore.session

    if not _LOADER:
        _LOADER.append(botocore.loaders.create_loader())
    session = botocore.session.Session()
    session.register_component("data_loader", _LOADER[0])
    return session


def _import_boto3():
    try:
        import boto3
    except ImportError:
        raise ConfigError("s3:// targets need boto3, which is not installed",
                          hint="pip install 'ssg[s3]'") from None
    return boto3


class S3Target(DeployTarget):
    stages_remotely = False
    default_jobs = 8
    options = Table({
        "endpoint_url": Option(str, None, "endpoint of an S3-compatible store (MinIO, R2, Ceph...)"),
        "region": Option(str, None, "AWS region (default: from the AWS configuration)"),
        "profile": Option(str, None, "AWS profile name (default: the default chain)"),
    })

    def connect(self) -> None:
        boto3 = _import_boto3()
        from botocore.config import Config
        from botocore.exceptions import BotoCoreError, ClientError

        self.errors = (BotoCoreError, ClientError)
        self.ClientError = ClientError
        session = boto3.session.Session(profile_name=self.config["profile"], botocore_session=_botocore_session())
        self.s3 = session.client("s3", endpoint_url=self.config["endpoint_url"], region_name=self.config["region"],
                                 config=Config(retries={"max_attempts": 5, "mode": "standard"}))
        self.bucket = self.url.netloc
        self.prefix = self.url.path.strip("/")
        self._etags: dict[str, str] = {}
        try:
            self.s3.head_bucket(Bucket=self.bucket)
        except self.errors as error:
            raise DeployError(f"cannot reach the bucket '{self.bucket}': {error}",
                              hint="check the bucket name, endpoint_url and the AWS credentials "
                                   "(AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or a profile)") from None

    def another_session(self) -> S3Target:
        """boto3 clients are thread-safe: workers share this one."""
        other = S3Target(self.url, self.config)
        other.__dict__.update({k: v for k, v in self.__dict__.items() if k != "expected"})
        other._etags = {}
        return other

    def _key(self, path: str) -> str:
        return f"{self.prefix}/{path}" if self.prefix else path

    def _code(self, error: Exception) -> str:
        response = getattr(error, "response", {}) or {}
        return str(response.get("Error", {}).get("Code", ""))

    def read(self, path: str) -> bytes | None:
        try:
            return self.s3.get_object(Bucket=self.bucket, Key=self._key(path))["Body"].read()
        except self.ClientError as error:
            if self._code(error) in ("NoSuchKey", "404"):
                return None
            raise

    def _headers(self, path: str) -> dict[str, str]:
        headers = {}
        content_type = next((value for glob, value in self.config["content_types"].items()
                             if fnmatch.fnmatch(path, glob)), None)
        if content_type is None:
            guessed = mimetypes.guess_type(path)[0] or "application/octet-stream"
            content_type = f"{guessed}; charset=utf-8" if guessed.startswith("text/") else guessed
        headers["ContentType"] = content_type
        cache = next((value for glob, value in self.config["cache_control"].items() if fnmatch.fnmatch(path, glob)),
                     None)
        if cache:
            headers["CacheControl"] = cache
        return headers

    def stage(self, path: str, temp: str, data: bytes) -> None:
        """Nothing to stage: the PUT in commit() is atomic."""

    def _condition(self, path: str) -> dict[str, str]:
        if self.expected is None or path not in self.expected:
            return {}
        etag = self.expected[path]
        return {"IfMatch": etag} if etag else {"IfNoneMatch": "*"}

    def _changed_meanwhile(self, path: str) -> DeployError:
        return DeployError(f"'{path}' changed on the target after this deploy took the lock, so it was left "
                           "alone; another deploy has written it", hint="run `ssg deploy --status`, then deploy again")

    def commit(self, path: str, temp: str, data: bytes) -> None:
        try:
            response = self.s3.put_object(Bucket=self.bucket, Key=self._key(path), Body=data,
                                          **self._headers(path), **self._condition(path))
        except self.ClientError as error:
            if self._code(error) in _LOST_RACE:
                raise self._changed_meanwhile(path) from None
            raise
        if self.expected is not None and path in self.expected:
            self.expected[path] = response["ETag"]

    def discard(self, temp: str) -> None:
        """Nothing was staged."""

    def delete(self, path: str) -> None:
        etag = (self.expected or {}).get(path)
        try:
            self.s3.delete_object(Bucket=self.bucket, Key=self._key(path), **({"IfMatch": etag} if etag else {}))
        except self.ClientError as error:
            code = self._code(error)
            if code in ("NoSuchKey", "404"):
                return
            if code in _LOST_RACE:
                raise self._changed_meanwhile(path) from None
            raise
        if self.expected is not None and path in self.expected:
            self.expected[path] = None

    def versions(self, paths: list[str]) -> dict[str, str | None]:
        """HEAD each path when there are few, else one listing of the prefix."""
        if len(paths) <= 100:
            return {path: self._etag(path) for path in paths}
        prefix = f"{self.prefix}/" if self.prefix else ""
        found = {}
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                found[item["Key"][len(prefix):]] = item["ETag"]
        return {path: found.get(path) for path in paths}

    def _etag(self, path: str) -> str | None:
        try:
            return self.s3.head_object(Bucket=self.bucket, Key=self._key(path))["ETag"]
        except self.ClientError as error:
            if self._code(error) in ("NoSuchKey", "404", "NotFound"):
                return None
            raise

    def create_exclusive(self, path: str, data: bytes) -> bool:
        key = self._key(path)
        try:
            response = self.s3.put_object(Bucket=self.bucket, Key=key, Body=data, IfNoneMatch="*",
                                          ContentType="application/json")
        except self.ClientError as error:
            if self._code(error) in _LOST_RACE:
                return False
            raise
        self._etags[key] = response["ETag"]
        return True

    def create_slot(self, name: str, data: bytes) -> bool:
        if not getattr(self, "_exclusive_checked", False):
            self._check_conditional_writes()
        return super().create_slot(name, data)

    def _check_conditional_writes(self) -> None:
        """A store that ignores If-None-Match would let two deploys both 'win' the lock: refuse it."""
        probe = self.state_path(f"conditional-write-probe-{uuid.uuid4().hex[:12]}")
        try:
            if not self.create_exclusive(probe, b"probe") or self.create_exclusive(probe, b"probe"):
                raise DeployError(f"the store at {self.config['endpoint_url'] or 'AWS S3'} ignores conditional "
                                  "writes (If-None-Match), so the deploy lock cannot be held there",
                                  hint="use a store with conditional writes (AWS S3, recent MinIO, R2...)")
        finally:
            self.delete(probe)
        self._exclusive_checked = True

    def write_slot(self, name: str, data: bytes, deploy_id: str) -> None:
        key = self._key(self.slot_path(name))
        condition = {"IfMatch": self._etags[key]} if key in self._etags else {}
        try:
            response = self.s3.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType="application/json",
                                          **condition)
        except self.ClientError as error:
            if self._code(error) in _LOST_RACE:
                raise DeployError("the lease slot changed under this deploy") from None
            raise
        self._etags[key] = response["ETag"]

    def list_folder(self, folder: str) -> list[str]:
        prefix = self._key(folder).rstrip("/") + "/"
        names = set()
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix, Delimiter="/"):
            names.update(item["Key"][len(prefix):] for item in page.get("Contents", []))
            names.update(item["Prefix"][len(prefix):].rstrip("/") for item in page.get("CommonPrefixes", []))
        return sorted(names)

    def listing(self) -> dict[str, int]:
        prefix = f"{self.prefix}/" if self.prefix else ""
        result = {}
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                result[item["Key"][len(prefix):]] = item["Size"]
        return result


@hookimpl
def ssg_deploy_targets(register):
    register("s3", S3Target)
