"""The FTP and SFTP servers users really have, on 127.0.0.1, for the deploy
tests: Debian's vsftpd (no MLSD/MLST: listings come from `LIST -a`),
pure-ftpd (MLSD, virtual users) and OpenSSH's sshd (SFTP, host key checked).

Each runs as a child process of the test process, in the foreground, on a free
loopback port, with a config file (or flags) written into its own temporary
folder: never a system service, never a file under /etc. sshd gets its own
host key (ssh-keygen), a user key, an authorized_keys file and a known_hosts
line, so ssg's host-key check passes for the right reason.

A missing server binary FAILS the test that needs it: CI (`.ci/run`, as root)
installs them all. The servers are started as root (vsftpd and pure-ftpd
chroot, then run as the `ftp` account; sshd needs root for privilege
separation and creates /run/sshd if missing). On a machine without them, or
not as root, set SSG_TEST_NO_REAL_SERVERS=1 to skip those tests instead;
`.ci/run` never sets it.

Where the binaries are looked for: the PATH, /usr/sbin, and for pure-ftpd also
/opt/ssg-test-servers/pure-ftpd/usr/{sbin,bin} (Debian's vsftpd and pure-ftpd
packages conflict, so `.ci/run` unpacks pure-ftpd there instead of installing
it)."""

from __future__ import annotations

import getpass
import os
import pwd
import shutil
import socket
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from deploy_servers import STARTUP_SECONDS, Remote, folder_remote, free_port

SKIP_ENV = "SSG_TEST_NO_REAL_SERVERS"
REAL_KINDS = ["vsftpd", "pure-ftpd", "openssh"]
PURE_FTPD_USER, PURE_FTPD_PASSWORD = "deployer", "pure-Secret-3307"
_EXTRA_PATHS = ["/usr/sbin", "/usr/bin", "/opt/ssg-test-servers/pure-ftpd/usr/sbin",
                "/opt/ssg-test-servers/pure-ftpd/usr/bin"]


def find_binary(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path=os.pathsep.join(_EXTRA_PATHS))
    if found:
        return found
    unavailable(f"{name} is not installed, so the deploy tests against it cannot run; install it as .ci/run "
                "does (apt-get install vsftpd openssh-server; pure-ftpd unpacked into /opt/ssg-test-servers)")


def unavailable(message: str):
    """Fail the test (CI), or skip it where SSG_TEST_NO_REAL_SERVERS asks to."""
    message += f", or set {SKIP_ENV}=1 to skip the real-server tests on this machine"
    if os.environ.get(SKIP_ENV):
        pytest.skip(message)
    pytest.fail(message, pytrace=False)


def owned_by(remote: Remote, uid: int, gid: int) -> Remote:
    """The server's account owns the target folder and whatever a test seeds into
    it behind ssg's back (an FTP server writes as that account)."""
    assert remote.root is not None
    seed = remote.seed

    def seed_owned(files: dict[str, bytes]) -> None:
        seed(files)
        for path in [remote.root, *remote.root.rglob("*")]:
            os.chown(path, uid, gid)

    remote.seed = seed_owned
    os.chown(remote.root, uid, gid)
    return remote


class ServerProcess:
    """A server binary started on a free port; ready when it accepts a
    connection (a port taken by someone else in between: started again)."""

    name = ""

    def __init__(self, folder: Path):
        if os.geteuid() != 0:
            unavailable(f"{self.name} is started as root (it chroots, and drops privileges to its own account), "
                        "and these tests do not run as root")
        self.folder = folder
        self.folder.mkdir(parents=True)
        self.home = folder / "home"
        self.home.mkdir()
        self.home.chmod(0o755)
        self.log = folder / "server.log"
        self.setup()
        for _attempt in range(5):
            self.port = free_port()
            with self.log.open("ab") as log:
                self.process = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT,
                                                stdin=subprocess.DEVNULL, cwd=folder)
            if self._wait_ready():
                return
            self.stop()
        raise AssertionError(f"{self.name} did not start; its log:\n{self.log.read_text(errors='replace')}")

    def setup(self) -> None:
        """Write the config files into self.folder."""

    def command(self) -> list[str]:
        raise NotImplementedError

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False            # e.g. the port was taken meanwhile
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=5) as probe:
                    probe.settimeout(5)
                    if probe.recv(4):   # the greeting (220 / SSH-2.0): the server itself, not a half-started one
                        return True
            except OSError:
                pass
            time.sleep(0.05)
        return False

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(STARTUP_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(STARTUP_SECONDS)

    def new_folder(self) -> Path:
        folder = self.home / uuid.uuid4().hex[:10]
        return folder


class Vsftpd(ServerProcess):
    """vsftpd in the foreground (listen=YES, background=NO) with anonymous
    writes into its chroot (local users would need PAM files under /etc). The
    chroot itself is not writable (vsftpd refuses that); each test's folder
    inside it belongs to the anonymous user."""

    name = "vsftpd"

    def setup(self) -> None:
        self.binary = find_binary("vsftpd")
        account = pwd.getpwnam("ftp")       # created by Debian's vsftpd package
        self.uid, self.gid = account.pw_uid, account.pw_gid
        (self.folder / "empty").mkdir()

    def command(self) -> list[str]:
        config = self.folder / "vsftpd.conf"
        settings = {
            "listen": "YES", "listen_ipv6": "NO", "listen_address": "127.0.0.1", "listen_port": self.port,
            "background": "NO", "anonymous_enable": "YES", "local_enable": "NO", "write_enable": "YES",
            "anon_upload_enable": "YES", "anon_mkdir_write_enable": "YES", "anon_other_write_enable": "YES",
            "anon_umask": "022", "no_anon_password": "YES", "anon_root": self.home,
            "ftp_username": pwd.getpwuid(self.uid).pw_name, "secure_chroot_dir": self.folder / "empty",
            "pasv_enable": "YES", "pasv_address": "127.0.0.1", "seccomp_sandbox": "NO",
            "vsftpd_log_file": self.folder / "vsftpd.log", "xferlog_enable": "YES", "log_ftp_protocol": "YES",
            "max_per_ip": "0", "max_clients": "0",
        }
        config.write_text("".join(f"{key}={value}\n" for key, value in settings.items()))
        return [self.binary, str(config)]

    def remote(self) -> Remote:
        folder = self.new_folder()
        made = folder_remote("vsftpd", folder, f"ftp://127.0.0.1:{self.port}/{folder.name}",
                             options={"user": '"anonymous"'})
        return owned_by(made, self.uid, self.gid)


class PureFtpd(ServerProcess):
    """pure-ftpd in the foreground, one virtual user (PureDB made by pure-pw)
    chrooted to the home folder, no anonymous login."""

    name = "pure-ftpd"

    def setup(self) -> None:
        self.binary = find_binary("pure-ftpd")
        pure_pw = find_binary("pure-pw")
        account = pwd.getpwnam("ftp")
        self.uid, self.gid = account.pw_uid, account.pw_gid
        os.chown(self.home, self.uid, self.gid)
        passwd, self.database = self.folder / "pureftpd.passwd", self.folder / "pureftpd.pdb"
        subprocess.run([pure_pw, "useradd", PURE_FTPD_USER, "-u", str(self.uid), "-g", str(self.gid),
                        "-d", f"{self.home}/./", "-f", str(passwd)],
                       input=f"{PURE_FTPD_PASSWORD}\n{PURE_FTPD_PASSWORD}\n", text=True, check=True,
                       capture_output=True)
        openssl = shutil.which("openssl")
        if openssl:     # pure-pw's argon2 hash costs ~1 s of CPU per login; a SHA-512 crypt hash costs nothing
            quick = subprocess.run([openssl, "passwd", "-6", "-stdin"], input=PURE_FTPD_PASSWORD, text=True,
                                   check=True, capture_output=True).stdout.strip()
            fields = passwd.read_text().split(":")
            passwd.write_text(":".join([fields[0], quick, *fields[2:]]))
        subprocess.run([pure_pw, "mkdb", str(self.database), "-f", str(passwd)], check=True, capture_output=True)

    def command(self) -> list[str]:
        # -S address,port  -l authentication  -E no anonymous  -A chroot everyone  -H no DNS
        # -P passive address  -u 1 lowest uid allowed (the ftp account's)  -U umasks  -D dot files listed
        return [self.binary, "-S", f"127.0.0.1,{self.port}", "-l", f"puredb:{self.database}", "-E", "-A", "-H",
                "-P", "127.0.0.1", "-u", "1", "-U", "133:022", "-D", "-c", "50", "-C", "50"]

    def remote(self) -> Remote:
        folder = self.new_folder()
        made = folder_remote("pure-ftpd", folder, f"ftp://127.0.0.1:{self.port}/{folder.name}",
                             options={"user": f'"{PURE_FTPD_USER}"', "password": '"${SSG_TEST_PURE_FTPD_PASSWORD}"'},
                             env={"SSG_TEST_PURE_FTPD_PASSWORD": PURE_FTPD_PASSWORD})
        return owned_by(made, self.uid, self.gid)


class OpenSsh(ServerProcess):
    """OpenSSH's sshd in the foreground (-D -e -f CONFIG -p PORT), its own host
    key, key login of the user running the tests, internal-sftp."""

    name = "openssh"

    def __init__(self, folder: Path, sftp_log: bool = False):
        # sftp_log: run OpenSSH's sftp-server (the program internal-sftp is built from) with `-e -l INFO`,
        # its stderr appended to self.sftp_log: one line per SFTP request, `close "PATH" bytes read R
        # written W` for each file closed. Off for the tests; the deploy benchmark reads it.
        self.sftp_log = folder / "sftp.log" if sftp_log else None
        super().__init__(folder)

    def setup(self) -> None:
        self.binary = find_binary("sshd")
        keygen = find_binary("ssh-keygen")
        self.user = getpass.getuser()
        self.host_key, self.user_key = self.folder / "host_ed25519", self.folder / "user_ed25519"
        for key in (self.host_key, self.user_key):
            subprocess.run([keygen, "-q", "-t", "ed25519", "-N", "", "-C", "ssg-test", "-f", str(key)],
                           check=True, capture_output=True, stdin=subprocess.DEVNULL)
        self.authorized_keys = self.folder / "authorized_keys"
        self.authorized_keys.write_text(Path(f"{self.user_key}.pub").read_text())
        self.known_hosts = self.folder / "known_hosts"
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)    # sshd's privilege separation folder

    def command(self) -> list[str]:
        config = self.folder / "sshd_config"
        config.write_text("\n".join([
            "ListenAddress 127.0.0.1", f"HostKey {self.host_key}", f"PidFile {self.folder / 'sshd.pid'}",
            f"AuthorizedKeysFile {self.authorized_keys}", "StrictModes no", "UsePAM no",
            "PasswordAuthentication no", "KbdInteractiveAuthentication no", "PubkeyAuthentication yes",
            "PermitRootLogin prohibit-password", f"AllowUsers {self.user}", f"Subsystem sftp {self.subsystem()}",
            "MaxSessions 50", "MaxStartups 50", "LogLevel VERBOSE", ""]))
        host_type, host_public = Path(f"{self.host_key}.pub").read_text().split()[:2]
        self.known_hosts.write_text(f"[127.0.0.1]:{self.port} {host_type} {host_public}\n")
        return [self.binary, "-D", "-e", "-f", str(config), "-p", str(self.port)]

    def subsystem(self) -> str:
        if self.sftp_log is None:
            return "internal-sftp"
        # sshd runs an external subsystem through the user's shell (`shell -c COMMAND`): the redirection holds
        server = shutil.which("sftp-server", path="/usr/lib/openssh:/usr/libexec/openssh:/usr/libexec")
        if server is None:
            unavailable("OpenSSH's sftp-server is not installed (Debian: openssh-sftp-server)")
        return f"{server} -e -l INFO 2>>{self.sftp_log}"

    def remote(self) -> Remote:
        folder = self.new_folder()
        return folder_remote("openssh", folder, f"sftp://127.0.0.1:{self.port}{folder}",
                             options={"user": f'"{self.user}"', "key_file": f'"{self.user_key}"',
                                      "known_hosts": f'"{self.known_hosts}"'})


REAL_SERVERS = {"vsftpd": Vsftpd, "pure-ftpd": PureFtpd, "openssh": OpenSsh}
