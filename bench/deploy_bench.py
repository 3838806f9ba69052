#!/usr/bin/env python3
"""Deploy benchmark: first deploy, no-op deploy and one-edit deploy of a large
site to a local server of each protocol, with lftp and rclone as references.

    python bench/deploy_bench.py [--output DIR] [--pages N] [--protocols file,ftp,sftp,s3]
                                 [--real vsftpd,pure-ftpd,openssh]

``--output`` is a built site's output folder (e.g. the 10,000-post benchmark
site after ``ssg build``); without it a synthetic output of N pages is written
(deterministic bytes, about the benchmark site's sizes). Servers are the test
suite's (tests/deploy_servers.py) on 127.0.0.1; ``ssg deploy`` runs as a
subprocess, as a user runs it. Needs the test extras (``pip install -e '.[test]'``).

References (when installed): ``lftp mirror -R`` (size + mtime) and ``rclone
sync`` (size + modtime) to the FTP/SFTP servers, run after every file's mtime
changed, which is what a Hugo rebuild (or any generator that rewrites every
file) does to them. Prints one table row per run: seconds and bytes sent.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from deploy_servers import FTP_PASSWORD, FTP_USER, SFTP_PASSWORD, SFTP_USER, Servers, count_state_bytes  # noqa: E402
from deploy_servers import STATE as STATE_FOLDER  # noqa: E402
from real_servers import PURE_FTPD_PASSWORD, PURE_FTPD_USER, REAL_SERVERS  # noqa: E402


def synthetic_output(folder: Path, pages: int) -> None:
    """N post pages (~6 kB), tag and list pages, a stylesheet and a feed."""
    paragraph = ("Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut "
                 "labore et dolore magna aliqua. ") * 8
    for n in range(1, pages + 1):
        page = folder / f"posts/post-{n:05d}/index.html"
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(f"<!doctype html><title>Post number {n}</title><h1>Post {n}</h1>"
                        + f"<p>{paragraph}</p>" * 6 + "\n")
    for n in range(40):
        tag = folder / f"tags/tag{n:02d}/index.html"
        tag.parent.mkdir(parents=True, exist_ok=True)
        tag.write_text("".join(f'<a href="/posts/post-{i:05d}/">{i}</a>' for i in range(n, pages, 40)) + "\n")
    (folder / "css").mkdir(exist_ok=True)
    (folder / "css/site.css").write_text("body { font: 16px/1.5 sans-serif }\n" * 50)
    (folder / "index.xml").write_text("<rss>" + "<item/>" * 20 + "</rss>\n")
    (folder / "index.html").write_text("<h1>home</h1>\n")


def ssg_deploy(site: Path, env: dict) -> tuple[float, int, int]:
    env = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}   # imports from .pyc, as installed
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "ssg", "deploy", "-s", str(site), "--json", "-q"],
                          env=env, capture_output=True, text=True, cwd=site)
    seconds = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(f"ssg deploy failed: {done.stderr}")
    result = json.loads(done.stdout)
    return seconds, result["bytes_sent"], result["uploaded"]


def touch_all(folder: Path) -> None:
    """What a generator that rewrites every file does to mtimes."""
    now = time.time()
    for path in folder.rglob("*"):
        if path.is_file():
            os.utime(path, (now, now))


def reference(tool: str, kind: str, output: Path, server, folder: str) -> tuple[float, int] | None:
    if shutil.which(tool) is None or kind not in ("ftp", "sftp"):
        return None
    port = server.port
    (server.home / f"{folder}-{tool}").mkdir(exist_ok=True)
    if tool == "lftp":
        opts = "set sftp:auto-confirm no; set ssl:verify-certificate no;" if kind == "sftp" else "set ftp:ssl-allow no;"
        password = FTP_PASSWORD if kind == "ftp" else SFTP_PASSWORD
        user = FTP_USER if kind == "ftp" else SFTP_USER
        if kind == "sftp":
            opts += f' set sftp:connect-program "ssh -a -x -o UserKnownHostsFile={server.known_hosts}";'
        command = ["lftp", "-c", f"{opts} open -u {user},{password} -p {port} {kind}://127.0.0.1; "
                                 f"mirror -R --verbose=1 {output} /{folder}-lftp"]
    else:
        obscured = subprocess.run(["rclone", "obscure", FTP_PASSWORD if kind == "ftp" else SFTP_PASSWORD],
                                  capture_output=True, text=True).stdout.strip()
        user = FTP_USER if kind == "ftp" else SFTP_USER
        remote = (f":{kind},host=127.0.0.1,port={port},user={user},pass={obscured}"
                  + (f",known_hosts_file={server.known_hosts}" if kind == "sftp" else "") + f":/{folder}-rclone")
        command = ["rclone", "sync", str(output), remote, "--stats-one-line", "-q"]
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        print(f"  ({tool} failed: {done.stderr.strip()[:200]})")
        return None
    return time.monotonic() - started, -1


def real_reference(tool: str, kind: str, output: Path, server, name: str) -> float | None:
    """`lftp mirror -R` or `rclone sync` of OUTPUT to a real server's folder NAME-TOOL; seconds."""
    folder = server.home / f"{name}-{tool}"
    folder.mkdir(exist_ok=True)
    if kind != "openssh":
        os.chown(folder, server.uid, server.gid)
    user, password = {"vsftpd": ("anonymous", "x"), "pure-ftpd": (PURE_FTPD_USER, PURE_FTPD_PASSWORD),
                      "openssh": (getattr(server, "user", ""), "")}[kind]
    path = str(folder) if kind == "openssh" else f"/{folder.name}"
    if tool == "lftp":
        if kind == "openssh":
            opts = (f'set sftp:connect-program "ssh -a -x -i {server.user_key} '
                    f'-o UserKnownHostsFile={server.known_hosts}"; open -u {user}, -p {server.port} sftp://127.0.0.1;')
        else:
            opts = f"set ftp:ssl-allow no; open -u {user},{password} -p {server.port} ftp://127.0.0.1;"
        command = ["lftp", "-c", f"{opts} mirror -R --delete {output} {path}"]
    elif kind == "openssh":
        command = ["rclone", "sync", str(output), f":sftp,host=127.0.0.1,port={server.port},user={user},"
                   f"key_file={server.user_key},known_hosts_file={server.known_hosts}:{path}", "-q"]
    else:
        return None
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        print(f"  ({tool} failed: {done.stderr.strip()[:300]})")
        return None
    return time.monotonic() - started


def compile_bytecode() -> None:
    """Byte-compile ssg and its dependencies once, as pip does at install time: with
    PYTHONDONTWRITEBYTECODE set (as in the test environment) every run would
    compile paramiko, typer and pydantic from source again, about 0.5 s."""
    import sysconfig

    subprocess.run([sys.executable, "-m", "compileall", "-q", "-j", "0", sysconfig.get_paths()["purelib"],
                    str(REPO / "ssg"), str(REPO / "plugins")], capture_output=True)


def importable(tree: Path, folder: Path) -> Path:
    """A folder to put on PYTHONPATH so that ``python -m ssg`` runs the source
    tree ``tree`` (its ssg, plugins and themes packages) instead of this one."""
    folder.mkdir(exist_ok=True)
    for package, source in (("ssg", "ssg"), ("ssg_plugins", "plugins"), ("ssg_themes", "themes")):
        if not (folder / package).exists():
            (folder / package).symlink_to((tree / source).resolve())
    return folder


def edit_page(public: Path, n: int) -> None:
    """Change one post's title, then touch every file (a generator rewriting all)."""
    page = public / f"posts/post-{n:05d}/index.html"
    text = page.read_text()
    assert "</h1>" in text, page
    page.write_text(text.replace("</h1>", " (edited)</h1>", 1))
    touch_all(public)


def median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


SLOW_REFERENCE = 30.0          # seconds: a reference run slower than this is not repeated


def real_comparison(kind: str, server, public: Path, work: Path, repeat: int, baseline: Path | None,
                    references: bool, seed_references: bool = False) -> None:
    """ssg (and the baseline ssg), lftp and rclone against one real server, each
    into its own folder from its own copy of the output; no-op and one-edit
    runs interleaved across the tools, ``repeat`` times each, medians printed."""
    tools: dict[str, object] = {}
    for name in ["ssg"] + (["ssg-base"] if baseline else []):
        site = work / f"{kind}-{name}"
        shutil.copytree(public, site / "public")
        remote = server.remote()
        (site / "ssg.toml").write_text('title = "bench"\nbase_url = "https://example.org/"\n\n' + remote.toml())
        env = {**os.environ, **remote.env}
        if name == "ssg-base":
            env["PYTHONPATH"] = str(importable(baseline, work / "baseline-path"))
        tools[name] = (site, env)
    for tool in ("lftp", "rclone") if references else ():
        if shutil.which(tool) and (tool == "lftp" or kind == "openssh"):
            site = work / f"{kind}-{tool}"
            shutil.copytree(public, site / "public")
            tools[tool] = (site, server.new_folder().name)
            if seed_references:      # what its first run leaves: the files, with the output's mtimes
                folder = server.home / f"{tools[tool][1]}-{tool}"
                shutil.copytree(site / "public", folder)
                if kind != "openssh":
                    for path in [folder, *folder.rglob("*")]:
                        os.chown(path, server.uid, server.gid)

    def run(name: str) -> tuple[float, int, int]:
        site, extra = tools[name]
        if name.startswith("ssg"):
            return ssg_deploy(site, extra)
        seconds = real_reference(name, kind, site / "public", server, extra)
        if seconds is None:
            raise RuntimeError(f"{name} failed")
        return seconds, -1, -1

    results: dict[tuple[str, str], list[tuple[float, int, int]]] = {}
    for scenario in ["first"] + ["no-op", "one-edit"] * repeat:
        for name in list(tools):
            site = tools[name][0]
            if not name.startswith("ssg") and (seed_references and scenario != "no-op" or any(
                    r[0] > SLOW_REFERENCE for r in results.get((name, scenario), []))):
                continue
            if scenario == "one-edit":
                edit_page(site / "public", 42 + len(results.get((name, scenario), [])))
            try:
                results.setdefault((name, scenario), []).append(run(name))
            except RuntimeError:
                del tools[name]
    print(f"\n{kind}: median of {repeat} (first: one run), seconds; ssg: files, bytes sent")
    print(f"{'scenario':9} " + " ".join(f"{name:>22}" for name in results_names(results))
          + "".join(f" {'ssg/' + ref:>11}" for ref in ("lftp", "rclone") if ref in results_names(results)))
    for scenario in ("first", "no-op", "one-edit"):
        cells, times = [], {}
        for name in results_names(results):
            runs = results.get((name, scenario), [])
            if not runs:
                cells.append(f"{'-':>22}")
                continue
            times[name] = median([r[0] for r in runs])
            detail = f" ({runs[-1][2]}, {runs[-1][1]} B)" if name.startswith("ssg") else ""
            cells.append(f"{times[name]:>8.2f}{detail:>14}")
        ratios = [f" {times['ssg'] / times[ref]:>11.2f}" if ref in times and "ssg" in times else f" {'-':>11}"
                  for ref in ("lftp", "rclone") if ref in results_names(results)]
        print(f"{scenario:9} " + " ".join(cells) + "".join(ratios))
        if scenario != "first":
            for name in results_names(results):
                runs = results.get((name, scenario), [])
                if runs:
                    print(f"          {name} runs: " + ", ".join(f"{r[0]:.2f}" for r in runs))


_CLOSE = re.compile(r'close "(?P<path>.*)" bytes read \d+ written (?P<written>\d+)$')


def server_state_writes(log: Path, offset: int, root: Path) -> tuple[int, list[str], int]:
    """What OpenSSH's sftp-server logged from byte ``offset`` of its log on: the
    bytes written into files under ROOT/.ssg-deploy/ (summed over each file's
    close line), those files' paths relative to ROOT, and the log's new end."""
    state = f"{root}/{STATE_FOLDER}/"
    total, paths = 0, []
    with log.open("rb") as lines:
        lines.seek(offset)
        text = lines.read()
    for line in text.decode(errors="replace").splitlines():
        found = _CLOSE.search(line)
        if found and found["path"].startswith(state) and int(found["written"]):    # reads log 0 written
            total += int(found["written"])
            paths.append(found["path"][len(str(root)) + 1:])
    return total, paths, offset + len(text)


def shards_written(written: list[str]) -> int:
    """How many manifest shards a deploy wrote (ssg/deploy/shards.py), from the
    paths the server logged (temporary names stand for the shard they became)."""
    from ssg.deploy.target import temp_of

    return len({temp_of(path) or path for path in written if path.startswith(f"{STATE_FOLDER}/manifest/")})


def state_bytes_per_deploy(public: Path, work: Path, deploys: int) -> None:
    """``deploys`` successive one-file deploys (a different post each time) to
    OpenSSH, run in this process; the bytes of ssg's own state each one handed
    to the server, counted twice: on the client (every write under .ssg-deploy/
    goes through Target.put or Target.create_slot: lease slots, journal,
    manifest shards, commit record) and on the server (sftp-server's log: bytes written into
    each file under .ssg-deploy/, temporary names included, summed at close)."""
    from ssg.cli import app
    from ssg.deploy.target import Target

    put, create = Target.put, Target.create_slot     # restored at the end
    written = count_state_bytes(setattr)
    server = REAL_SERVERS["openssh"](work / "state-openssh", sftp_log=True)
    try:
        site = work / "state-site"
        shutil.copytree(public, site / "public")
        remote = server.remote()
        (site / "ssg.toml").write_text('title = "bench"\nbase_url = "https://example.org/"\n\n' + remote.toml())
        os.environ.update(remote.env)
        offset, rows = 0, []
        for n in range(deploys + 1):
            if n:
                page = site / f"public/posts/post-{n:05d}/index.html"
                page.write_text(page.read_text().replace("</h1>", " (edited)</h1>", 1))
            written[0] = 0
            try:
                app(["deploy", "-s", str(site), "-q"], prog_name="ssg")
            except SystemExit as stop:
                assert not stop.code, stop.code
            on_server, paths, offset = server_state_writes(server.sftp_log, offset, remote.root)
            rows.append((n, written[0], on_server, shards_written(paths)))
        print_state_rows(rows)
    finally:
        Target.put, Target.create_slot = put, create
        server.stop()


def print_state_rows(rows: list[tuple[int, int, int, int]]) -> None:
    """Client and server counts side by side: the first deploy, then summaries
    of the one-file deploys, then every deploy."""
    first, later = rows[0], rows[1:]
    print(f"\nfirst deploy: client {first[1]} B, server {first[2]} B of state, {first[3]} shards")
    counts = sorted({r[3] for r in later})
    print(f"state bytes per one-file deploy (OpenSSH), {len(later)} deploys; shards written per deploy: "
          + ", ".join(f"{count} in {sum(1 for r in later if r[3] == count)}" for count in counts))
    print(f"{'':28} {'client':>9} {'server':>9}")
    for label, pick in (("max", max), ("min", min)):
        print(f"{label:28} {pick(r[1] for r in later):>9} {pick(r[2] for r in later):>9}")
    print(f"{'mean':28} {sum(r[1] for r in later) / len(later):>9.0f} {sum(r[2] for r in later) / len(later):>9.0f}")
    print("every deploy (n client server shards): " + "; ".join(f"{n} {c} {s} {k}" for n, c, s, k in later))
    differ = [r for r in rows if r[1] != r[2]]
    print(f"deploys where the two counts differ: {len(differ)}" + (f" (first: {differ[0]})" if differ else ""))


S3FS_PUT = """import sys, time, s3fs
started = time.monotonic()
fs = s3fs.S3FileSystem(endpoint_url=sys.argv[1])
fs.put(sys.argv[2].rstrip("/") + "/", sys.argv[3], recursive=True)
print(time.monotonic() - started)
"""


def stored_objects(servers: Servers, url: str) -> int:
    """Objects under an s3:// URL's prefix outside .ssg-deploy/ (listed, not read)."""
    bucket, prefix = url[len("s3://"):].split("/", 1)
    pages = servers.get("s3").client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix + "/")
    return sum(1 for page in pages for item in page.get("Contents", [])
               if not item["Key"][len(prefix) + 1:].startswith(STATE_FOLDER + "/"))


def s3fs_comparison(public: Path, work: Path, servers: Servers, runs: int) -> None:
    """The first deploy of PUBLIC to moto's S3 server, ``runs`` times each,
    interleaved: ``ssg deploy`` (boto3) and s3fs's ``put`` of the whole folder
    (fsspec's batched async upload, its default batch size), each into a fresh
    prefix and as a subprocess; the objects stored are counted after each."""
    times: dict[str, list[float]] = {"ssg deploy (boto3)": [], "s3fs put": []}
    files = sum(1 for p in public.rglob("*") if p.is_file())
    for run in range(runs):
        remote = servers.remote("s3", work)
        site = work / f"s3fs-compare-{run}"
        shutil.copytree(public, site / "public")
        (site / "ssg.toml").write_text('title = "bench"\nbase_url = "https://example.org/"\n\n' + remote.toml())
        times["ssg deploy (boto3)"].append(ssg_deploy(site, {**os.environ, **remote.env})[0])
        stored_ssg = stored_objects(servers, remote.url)
        other = servers.remote("s3", work)
        endpoint = servers.get("s3").endpoint
        started = time.monotonic()
        done = subprocess.run([sys.executable, "-c", S3FS_PUT, endpoint, str(public), other.url[len("s3://"):]],
                              env={**os.environ, **other.env}, capture_output=True, text=True)
        times["s3fs put"].append(time.monotonic() - started)
        if done.returncode != 0:
            raise SystemExit(f"s3fs put failed: {done.stderr[-2000:]}")
        stored_s3fs = stored_objects(servers, other.url)
        print(f"run {run + 1}: ssg {times['ssg deploy (boto3)'][-1]:.2f} s ({stored_ssg} objects), "
              f"s3fs {times['s3fs put'][-1]:.2f} s ({stored_s3fs} objects; {float(done.stdout):.2f} s "
              f"after its imports), {files} files")
        shutil.rmtree(site)
    ssg, s3fs = median(times["ssg deploy (boto3)"]), median(times["s3fs put"])
    print(f"\nfirst deploy to moto, median of {runs}: ssg deploy {ssg:.2f} s, s3fs put {s3fs:.2f} s, "
          f"ssg / s3fs {ssg / s3fs:.2f}")


def results_names(results: dict) -> list[str]:
    return list(dict.fromkeys(name for name, _scenario in results))


def main() -> None:
    logging.disable(logging.INFO)             # the servers' request logs
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, help="a built site's output folder (default: synthetic)")
    parser.add_argument("--pages", type=int, default=10000)
    parser.add_argument("--protocols", default="file,ftp,sftp,s3")
    parser.add_argument("--no-references", action="store_true", help="skip lftp and rclone")
    parser.add_argument("--real", default="", help="real servers to deploy to, comma-separated, of "
                        + ",".join(REAL_SERVERS) + " (tests/real_servers.py; needs root)")
    parser.add_argument("--seed-references", action="store_true", help="--real: put the output into lftp's "
                        "and rclone's folders (with its mtimes) instead of timing their first run, and time their "
                        "no-op runs only (rclone's one-edit run hashes every file on the server: ~25 min at 10,000)")
    parser.add_argument("--state-deploys", type=int, default=0, help="that many one-file deploys to OpenSSH, "
                        "printing the bytes of ssg's state each wrote, counted by the client and by sftp-server")
    parser.add_argument("--s3fs-compare", action="store_true", help="time the first deploy to moto's S3 server "
                        "with ssg deploy (boto3) and with s3fs's put of the folder, --repeat times each (median)")
    parser.add_argument("--repeat", type=int, default=3, help="--real: no-op and one-edit runs per tool (median)")
    parser.add_argument("--baseline", type=Path, help="--real: another ssg source tree (e.g. `git archive` of an "
                        "older commit, unpacked) timed beside this one")
    args = parser.parse_args()
    compile_bytecode()
    work = Path(tempfile.mkdtemp(prefix="ssg-deploy-bench-"))
    servers = Servers(work / "servers")
    (work / "servers").mkdir()
    real = []
    try:
        site = work / "site"
        if args.output:
            shutil.copytree(args.output, site / "public")
        else:
            synthetic_output(site / "public", args.pages)
        files = sum(1 for p in (site / "public").rglob("*") if p.is_file())
        size = sum(p.stat().st_size for p in (site / "public").rglob("*") if p.is_file())
        print(f"site: {files} files, {size / 1e6:.1f} MB")
        if args.state_deploys:
            state_bytes_per_deploy(site / "public", work, args.state_deploys)
        if args.s3fs_compare:
            s3fs_comparison(site / "public", work, servers, args.repeat)
        for kind in [k for k in args.real.split(",") if k]:
            real.append(REAL_SERVERS[kind](work / kind))
            real_comparison(kind, real[-1], site / "public", work, args.repeat, args.baseline,
                            not args.no_references, args.seed_references)
        for kind in [k for k in args.protocols.split(",") if k]:
            print(f"\n{'protocol':10} {'run':22} {'seconds':>8} {'files':>7} {'bytes sent':>12}")
            remote = servers.remote(kind, work / kind)
            env = {**os.environ, **remote.env}
            (site / "ssg.toml").write_text('title = "bench"\nbase_url = "https://example.org/"\n\n' + remote.toml())
            for run in ("first deploy", "no-op deploy", "one-edit deploy"):
                if run == "one-edit deploy":
                    edit_page(site / "public", 42)
                seconds, sent, uploaded = ssg_deploy(site, env)
                print(f"{kind:10} {run:22} {seconds:8.2f} {uploaded:7d} {sent:12d}")
            server = servers.get(kind) if kind in ("ftp", "sftp") else None
            for tool in () if args.no_references else ("lftp", "rclone"):
                folder = remote.url.rsplit("/", 1)[1]
                first = reference(tool, kind, site / "public", server, folder)
                if first is None:
                    continue
                touch_all(site / "public")
                again = reference(tool, kind, site / "public", server, folder)
                print(f"{kind:10} {tool + ' first':22} {first[0]:8.2f}")
                if again:
                    print(f"{kind:10} {tool + ' after rebuild':22} {again[0]:8.2f}      (every file re-sent)")
    finally:
        for server in real:
            server.stop()
        servers.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
