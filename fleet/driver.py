"""`python -m fleet replay`: the driver. Counts the drives, submits one Ray task per drive, prints
progress, merges the per-drive reports with `clearlane report merge` and writes DIR/fleet.json."""
import argparse
import datetime
import json
import logging
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

from fleet import task

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
USAGE_ERROR, RUN_FAILED = 2, 1


class Failure(Exception):
    pass


def find_binary(explicit=None):
    """--binary, else $CLEARLANE_BINARY, else the repository's .build/release or .build/debug, else PATH."""
    for candidate in (explicit, os.environ.get("CLEARLANE_BINARY")):
        if candidate:
            if not (os.path.isfile(candidate) and os.access(candidate, os.X_OK)):
                raise Failure(f"clearlane binary {candidate} is not an executable file")
            return os.path.abspath(candidate)
    for build in ("release", "debug"):
        path = os.path.join(REPO, ".build", build, "clearlane")
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    found = shutil.which("clearlane")
    if found:
        return found
    raise Failure("no clearlane binary: build it (swift build -c release), or give --binary / CLEARLANE_BINARY")


def count_drives(inputs):
    """Drives `clearlane replay INPUT…` replays, in its order: a set's `drives:` list, a folder one drive.
    Only the count is needed here; what each entry means stays the binary's business."""
    import yaml

    total = 0
    for path in inputs:
        if path.endswith((".yaml", ".yml")):
            try:
                with open(path) as f:
                    data = yaml.load(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
            except (OSError, yaml.YAMLError) as e:
                raise Failure(f"cannot read evaluation set {path}: {e}")
            drives = data.get("drives") if isinstance(data, dict) else None
            if not isinstance(drives, list):
                raise Failure(f"evaluation set {path} has no drives: list")
            total += len(drives)
        elif os.path.isdir(path):
            total += 1
        else:
            raise Failure(f"{path} is neither an evaluation set (.yaml) nor a drive folder")
    if total == 0:
        raise Failure("no drives to replay")
    return total


def check_report_target(report):
    """Refuses early (not after hours of replay) a --report folder that the merge would refuse."""
    if os.path.isdir(report):
        entries = set(os.listdir(report))
        if entries and "report.json" not in entries and not entries <= {"report.html", "report.txt", "strips", "fleet.json"}:
            raise Failure(f"--report {report} is a folder with other content; give a new or an earlier report's folder")
    elif os.path.exists(report):
        raise Failure(f"--report {report} exists and is not a folder")


def parse(argv):
    extra = []
    if "--" in argv:
        cut = argv.index("--")
        argv, extra = argv[:cut], argv[cut + 1:]
    p = argparse.ArgumentParser(prog="python -m fleet", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("replay", help="replay an evaluation set on Ray, one task per drive",
                       description="Replays INPUTs (evaluation sets / drive folders, as `clearlane replay`) on Ray, one task "
                                   "per drive, and merges the drives' reports into DIR (report.json equal to one replay of "
                                   "all) plus DIR/fleet.json (timings). Arguments after -- go to every `clearlane replay`.")
    r.add_argument("inputs", nargs="+", metavar="INPUT", help="evaluation sets (.yaml) and drive folders, as clearlane replay")
    r.add_argument("--report", required=True, metavar="DIR",
                   help="the merged report (report.json, report.html, report.txt, strips/) and fleet.json")
    r.add_argument("--address", help="join this Ray cluster (e.g. ray://head:10001, auto, 10.0.0.5:6379); "
                                     "default: start Ray locally on 127.0.0.1")
    r.add_argument("--variants", help="passed to clearlane replay --variants")
    r.add_argument("--max-frames", type=int, metavar="N", help="passed to clearlane replay --max-frames")
    r.add_argument("--retries", type=int, default=2, metavar="K",
                   help="re-runs of a drive whose worker died or whose replay crashed (not of a drive the binary "
                        "reports as failed) (default: 2)")
    r.add_argument("--binary", help="clearlane binary, at this path on every node (default: $CLEARLANE_BINARY, "
                                    "the repository's .build/release or .build/debug, clearlane on PATH)")
    r.add_argument("--workers", type=int, metavar="N",
                   help="drives replayed at once (local: CPUs given to Ray, default os.cpu_count(); "
                        "with --address: default the cluster's CPUs / --cpus-per-drive)")
    r.add_argument("--cpus-per-drive", type=float, default=1.0, metavar="C",
                   help="CPUs each task reserves (default: 1)")
    r.add_argument("--keep-parts", action="store_true", help="keep the per-drive reports (beside DIR)")
    args = p.parse_args(argv)
    args.extra = extra
    args.argv = list(argv) + (["--", *extra] if extra else [])
    if args.workers is not None and args.workers < 1:
        p.error("--workers must be at least 1")
    if args.retries < 0:
        p.error("--retries must be at least 0")
    return args


def clock(seconds):
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def start_ray(args):
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    import ray
    import ray.cloudpickle

    # The task code travels by value: workers need the binary and the drives, not this package.
    ray.cloudpickle.register_pickle_by_value(task)
    quiet = dict(logging_level=logging.WARNING, log_to_driver=True)
    if args.address:
        ray.init(address=args.address, **({} if args.address.startswith("ray://") else quiet))
        cpus = ray.cluster_resources().get("CPU", 1)
        workers = args.workers or max(1, int(cpus // args.cpus_per_drive))
    else:
        workers = args.workers or os.cpu_count() or 1
        # address="local": a fresh instance even where RAY_ADDRESS or /tmp/ray/ray_current_cluster
        # (left by `ray start`) names another one.
        ray.init(address="local", num_cpus=int(max(1, workers * args.cpus_per_drive)), include_dashboard=False,
                 _node_ip_address="127.0.0.1", **quiet)
    return ray, workers


def replay(args):
    binary = find_binary(args.binary)
    total = count_drives(args.inputs)
    report = os.path.abspath(args.report)
    check_report_target(report)
    parent = os.path.dirname(report)
    os.makedirs(parent, exist_ok=True)
    replay_args = []
    if args.variants:
        replay_args += ["--variants", args.variants]
    if args.max_frames is not None:
        replay_args += ["--max-frames", str(args.max_frames)]
    replay_args += args.extra

    parts = tempfile.mkdtemp(dir=parent, prefix=f".{os.path.basename(report)}.fleet-")
    try:
        kill_once = os.environ.get("FLEET_TEST_KILL_ONCE")  # test-only fault injection, see task.replay_drive
        started_at = datetime.datetime.now(datetime.timezone.utc)
        t0 = time.monotonic()
        ray, workers = start_ray(args)
        ray_start = time.monotonic() - t0
        remote = ray.remote(num_cpus=args.cpus_per_drive, max_retries=args.retries)(task.replay_drive)
        print(f"fleet: {total} drive{'s' * (total != 1)} on {'Ray at ' + args.address if args.address else 'local Ray'}, "
              f"{workers} at once, binary {binary}", file=sys.stderr, flush=True)

        def spec(k):
            return {"binary": binary, "inputs": list(args.inputs), "cwd": os.getcwd(), "index": k, "total": total,
                    "replay_args": replay_args, "retries": args.retries,
                    "kill_once_marker": os.path.join(parts, f"killed-{k}") if kill_once == str(k) else None}

        results, pending, next_k = {}, {}, 0
        failures = 0
        try:
            while len(results) < total:
                while next_k < total and len(pending) < 2 * workers:  # bounded submission: 10,000 drives need no 10,000 refs
                    pending[remote.remote(spec(next_k))] = next_k
                    next_k += 1
                [ref], _ = ray.wait(list(pending), num_returns=1)
                k = pending.pop(ref)
                try:
                    r = ray.get(ref)
                except Exception as e:  # the task itself was lost: worker killed more often than --retries, node gone
                    r = {"index": k, "status": "lost", "error": f"{type(e).__name__}: {str(e).strip().splitlines()[0] if str(e).strip() else ''}",
                         "files": {}, "attempts": None}
                files = r.pop("files", {})
                if files:
                    for rel, data in files.items():
                        path = os.path.join(parts, str(k), rel)
                        os.makedirs(os.path.dirname(path), exist_ok=True)
                        with open(path, "wb") as f:
                            f.write(data)
                results[k] = r
                if r["status"] != "ok":
                    failures += 1
                done, elapsed = len(results), time.monotonic() - t0
                eta = elapsed / done * (total - done)
                name = r.get("name") or f"drive {k}"
                if r["status"] == "ok":
                    what = (f"{r.get('frames', 0)} frames, task {r['task_seconds']:.1f} s (replay {r.get('replay_seconds', 0):.1f} s)"
                            + (f", {r['attempts']} attempts" if r.get("attempts", 1) > 1 else ""))
                else:
                    what = f"{r['status'].upper().replace('_', ' ')}: {(r.get('error') or '').strip()[:300]}"
                print(f"[{done}/{total}] {name}: {what}; ETA {clock(eta)}, {failures} failed", file=sys.stderr, flush=True)
        finally:
            ray.shutdown()

        # Merge every per-drive report (drives replayed and drives the binary reported as failed).
        merged_from = sorted((k for k in results if os.path.isfile(os.path.join(parts, str(k), "report.json"))))
        merge_status, merge_error = None, None
        if merged_from:
            if os.path.isfile(os.path.join(report, "fleet.json")) and not os.path.isfile(os.path.join(report, "report.json")):
                os.remove(os.path.join(report, "fleet.json"))  # left by a run whose merge failed
            proc = subprocess.run([binary, "report", "merge", *[os.path.join(parts, str(k)) for k in merged_from], "--out", report],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            merge_status = proc.returncode
            if proc.returncode != 0:
                merge_error = proc.stderr.strip()
                print(f"fleet: clearlane report merge failed ({proc.returncode}): {merge_error}", file=sys.stderr)
        wall = time.monotonic() - t0
        os.makedirs(report, exist_ok=True)

        rows = [results[k] for k in sorted(results)]
        ok = [r for r in rows if r["status"] == "ok"]
        overhead = [r["task_seconds"] - r.get("replay_seconds", 0.0) for r in ok]
        process = [r["subprocess_seconds"] - r.get("replay_seconds", 0.0) for r in ok]
        busy = sum(r.get("task_seconds") or 0.0 for r in rows)
        mean = lambda xs: sum(xs) / len(xs) if xs else None  # noqa: E731
        summary = {
            "schema": "clearlane.fleet/1",
            "created": started_at.isoformat(timespec="seconds"),
            "command": "python -m fleet " + shlex.join(args.argv),
            "ray": "address " + args.address if args.address else "local",
            "workers": workers,
            "cpus_per_drive": args.cpus_per_drive,
            "binary": binary,
            "drives": total,
            "replayed": len(ok),
            "failed_drives": [{"index": r["index"], "name": r.get("name"), "error": r.get("error")} for r in rows if r["status"] == "drive_failed"],
            "lost_drives": [{"index": r["index"], "status": r["status"], "error": r.get("error"), "stderr": r.get("stderr")}
                            for r in rows if r["status"] in ("error", "lost")],
            "retried_drives": [r["index"] for r in rows if (r.get("attempts") or 1) > 1],
            "merge_exit_status": merge_status,
            **({"test_kill_once": {"drive": int(kill_once), "killed": os.path.exists(os.path.join(parts, f"killed-{kill_once}"))}}
               if kill_once else {}),
            "wall_seconds": round(wall, 3),
            "drives_per_hour": round(len(ok) / wall * 3600, 1) if wall > 0 else None,
            "frames": sum(r.get("frames") or 0 for r in ok),
            "replay_seconds_total": round(sum(r.get("replay_seconds", 0.0) for r in ok), 3),
            "task_seconds_total": round(busy, 3),
            # CPU time of the replays (user + system): what a drive costs regardless of how busy the machine was.
            "cpu_seconds_per_drive": round(mean([r.get("cpu_seconds") or 0.0 for r in ok]), 3) if ok else None,
            # Per drive, beyond the binary's own replay time: process start, recipe generation, model
            # load, report writing (overhead_process) plus reading the report back (overhead_task).
            "overhead_task_seconds_per_drive": round(mean(overhead), 3) if ok else None,
            "overhead_process_seconds_per_drive": round(mean(process), 3) if ok else None,
            # Worker time not spent in a task (scheduling, result transfer, the idle tail), per drive.
            "ray_start_seconds": round(ray_start, 3),
            "overhead_scheduling_seconds_per_drive": round(((wall - ray_start) * workers - busy) / total, 3),
            "per_drive": [{k: r.get(k) for k in ("index", "name", "status", "attempts", "exit_status", "frames", "replay_seconds",
                                                 "subprocess_seconds", "cpu_seconds", "task_seconds", "node", "error")} for r in rows],
        }
        with open(os.path.join(report, "fleet.json"), "w") as f:
            json.dump(summary, f, indent=2)
            f.write("\n")

        print(f"fleet: {len(ok)} of {total} drives replayed in {clock(wall)} ({summary['drives_per_hour']} drives/h, "
              f"{workers} at once); per drive: replay {mean([r.get('replay_seconds', 0.0) for r in ok]) or 0:.2f} s "
              f"({summary['cpu_seconds_per_drive'] or 0:.2f} s CPU), "
              f"overhead {summary['overhead_task_seconds_per_drive'] or 0:.2f} s in the task "
              f"(process {summary['overhead_process_seconds_per_drive'] or 0:.2f} s), "
              f"{summary['overhead_scheduling_seconds_per_drive']:.2f} s worker time outside tasks", file=sys.stderr)
        bad = len(summary["failed_drives"]) + len(summary["lost_drives"])
        if bad:
            print(f"fleet: {bad} drive{'s' * (bad != 1)} failed: "
                  + ", ".join(f"{d['index']} {d.get('name') or ''} ({d.get('status', 'drive failed')})".replace("  ", " ")
                              for d in summary["failed_drives"] + summary["lost_drives"]), file=sys.stderr)
        print(f"fleet: wrote {report}/report.json and fleet.json" if merge_status == 0 else f"fleet: wrote {report}/fleet.json (no merged report)",
              file=sys.stderr)
        return RUN_FAILED if bad or merge_status != 0 else 0
    finally:  # the per-drive parts go, however the run ended (--keep-parts keeps them)
        if args.keep_parts:
            print(f"fleet: per-drive reports kept in {parts}", file=sys.stderr)
        else:
            shutil.rmtree(parts, ignore_errors=True)


def main(argv):
    args = parse(argv)
    try:
        return replay(args)
    except Failure as e:
        print(f"fleet: {e}", file=sys.stderr)
        return USAGE_ERROR
