"""The work of one Ray task: replay one drive of a set with the clearlane binary.

Standard library only, and shipped to the workers by value (driver.py registers this module with
cloudpickle), so a worker needs the clearlane binary and the drives, not this package.
"""
import ctypes
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import tempfile
import time

# Exit status of `clearlane replay` when a drive failed and the report (failed_drives) was written.
DRIVE_FAILED_STATUS = 1
STDERR_TAIL = 4000


def _die_with_parent():
    """preexec_fn: the replay is killed when the worker that started it dies (no orphan keeps
    writing into the set's cache while the retried task regenerates the same drive)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def _children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _read_folder(folder):
    files = {}
    for root, _, names in os.walk(folder):
        for name in names:
            path = os.path.join(root, name)
            with open(path, "rb") as f:
                files[os.path.relpath(path, folder)] = f.read()
    return files


def _classify(status, report_path, index):
    """'ok' (drive replayed), 'drive_failed' (the binary reported it in failed_drives: a property
    of the drive, retrying cannot help) or 'error' (crash, signal, no report: worth a retry)."""
    if not os.path.isfile(report_path):
        return "error", None
    try:
        with open(report_path) as f:
            report = json.load(f)
    except (OSError, ValueError):
        return "error", None
    if status == 0 and any(d.get("index") == index for d in report.get("drives", [])):
        return "ok", report
    if status == DRIVE_FAILED_STATUS and any(d.get("index") == index for d in report.get("failed_drives") or []):
        return "drive_failed", report
    return "error", report


def replay_drive(spec):
    """Replays drive spec['index'] (0-based) of spec['total'] and returns its report folder's files.

    spec: binary, inputs, cwd, index, total, replay_args (extra `clearlane replay` arguments),
    retries (re-runs after a non-zero exit that is not a drive failure), kill_once_marker (test
    only: the first attempt that finds no marker creates it and kills this worker mid-replay).
    """
    task_started = time.monotonic()
    index, total = spec["index"], spec["total"]
    cwd = spec["cwd"] if os.path.isdir(spec["cwd"]) else None
    scratch = tempfile.mkdtemp(prefix=f"clearlane-fleet-{index}-")
    result = {"index": index, "node": socket.gethostname(), "pid": os.getpid(), "attempts": 0, "status": "error",
              "exit_status": None, "stderr": "", "files": {}, "subprocess_seconds": None}
    try:
        for attempt in range(1 + max(0, spec.get("retries", 0))):
            result["attempts"] = attempt + 1
            out = os.path.join(scratch, f"attempt-{attempt + 1}", "report")
            os.makedirs(os.path.dirname(out))
            command = [spec["binary"], "replay", *spec["inputs"], "--shard", f"{index + 1}/{total}",
                       "--report", out, "--quiet", *spec.get("replay_args", [])]
            started = time.monotonic()
            cpu_before = _children_cpu()
            with open(os.path.join(scratch, "stderr.txt"), "w+b") as err:
                proc = subprocess.Popen(command, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=err, preexec_fn=_die_with_parent)
                marker = spec.get("kill_once_marker")
                if marker and not os.path.exists(marker):
                    # Fault injection (FLEET_TEST_KILL_ONCE, tests only): the worker dies mid-replay.
                    open(marker, "w").close()
                    time.sleep(0.5)
                    os.kill(os.getpid(), signal.SIGKILL)
                status = proc.wait()
                err.seek(0)
                stderr = err.read().decode("utf-8", "replace")
            result["subprocess_seconds"] = time.monotonic() - started
            result["cpu_seconds"] = _children_cpu() - cpu_before  # the replay's user + system CPU time
            result["exit_status"] = status
            result["stderr"] = stderr[-STDERR_TAIL:]
            kind, report = _classify(status, os.path.join(out, "report.json"), index)
            result["status"] = kind
            if kind in ("ok", "drive_failed"):
                result["files"] = _read_folder(out)
                drive = next((d for d in report.get("drives", []) if d.get("index") == index), None)
                failed = next((d for d in report.get("failed_drives") or [] if d.get("index") == index), None)
                result["name"] = (drive or failed or {}).get("name")
                if drive:
                    result["frames"] = drive.get("frames")
                    fps = drive.get("replay_fps")
                    result["replay_seconds"] = drive["frames"] / fps if fps and drive.get("frames") else 0.0
                if failed:
                    result["error"] = failed.get("error")
                break
            result["error"] = (f"clearlane replay exited with status {status}" if status >= 0 else
                               f"clearlane replay killed by signal {-status}") + (
                               f": {stderr.strip().splitlines()[-1]}" if stderr.strip() else "")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    result["task_seconds"] = time.monotonic() - task_started
    return result
