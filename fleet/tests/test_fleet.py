"""Fleet replay on a loopback Ray cluster (CI; scripts/test-fleet).

A head started here with `ray start --head` on 127.0.0.1, the driver joining it with --address:
  (a) a 4-drive set (3 small rendered drives + the committed real sample) replayed one task per
      drive merges into the report one direct `clearlane replay` of the set writes;
  (b) a worker killed mid-replay (FLEET_TEST_KILL_ONCE): the task is retried, the report complete;
  (c) a broken drive (truncated video): in failed_drives, the others merged, exit status 1.
"""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SAMPLE = os.path.join(REPO, "evaluation", "samples", "solidWhiteRight-tunnel-exit")
# What no two runs share (ShardMergeTests.comparable): when and how it ran, and timing.
UNSHARED = {"created", "command", "replay_fps", "detector_fps", "lanes_seconds", "shard"}
REPLAY = ["--variants", "raw,copy-last,clean", "--max-frames", "20"]
EXTRA = ["--strips", "1"]


def binary():
    """The binary scripts/test just built (debug), unless CLEARLANE_BINARY names another."""
    explicit = os.environ.get("CLEARLANE_BINARY")
    if explicit:
        return explicit
    for build in ("debug", "release"):
        path = os.path.join(REPO, ".build", build, "clearlane")
        if os.access(path, os.X_OK):
            return path
    raise unittest.SkipTest("no clearlane binary (swift build)")


def comparable(path):
    def strip(v):
        if isinstance(v, str):  # GStreamer names pipelines by a per-process counter (pipeline0, pipeline4)
            return re.sub(r"\bpipeline[0-9]+", "pipeline", v)
        if isinstance(v, dict):
            return {k: strip(x) for k, x in v.items() if k not in UNSHARED}
        if isinstance(v, list):
            return [strip(x) for x in v]
        return v
    with open(path) as f:
        return strip(json.load(f))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def drive(recipe):
    return f"  - synth: {{{recipe}, frames: 20, size: 320x180}}\n"


class FleetOnLoopbackRay(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.binary = binary()
        cls.work = tempfile.mkdtemp(prefix="fleet-test-")
        cls.env = dict(os.environ, RAY_USAGE_STATS_ENABLED="0", PYTHONPATH=REPO)
        cls.env.pop("FLEET_TEST_KILL_ONCE", None)
        with open(os.path.join(cls.work, "four.yaml"), "w") as f:
            f.write("cache: cache\ndrives:\n" + drive("preset: tunnel-exit, seed: 11") + f"  - path: {SAMPLE}\n"
                    + drive("preset: underpass, seed: 12") + drive("preset: tunnel-entry, seed: 13"))
        # The real sample with its video cut to its first 100 bytes (the moov box is at the end): unreadable.
        broken = os.path.join(cls.work, "broken")
        os.makedirs(broken)
        for name in ("drive.yaml", "labels.json", "exposure.json"):
            shutil.copy(os.path.join(SAMPLE, name), broken)
        with open(os.path.join(SAMPLE, "video.mp4"), "rb") as src, open(os.path.join(broken, "video.mp4"), "wb") as dst:
            dst.write(src.read(100))
        with open(os.path.join(cls.work, "broken.yaml"), "w") as f:
            f.write("cache: cache\ndrives:\n" + drive("preset: tunnel-exit, seed: 11") + "  - path: broken\n" + f"  - path: {SAMPLE}\n")

        # A head of our own on loopback, its sessions in our scratch folder (not /tmp/ray, so no
        # ray_current_cluster is left behind); stopped with everything it started in tearDownClass.
        cls.address = f"127.0.0.1:{free_port()}"
        ray = os.path.join(os.path.dirname(sys.executable), "ray")
        log = open(os.path.join(cls.work, "head.log"), "w")
        cls.head = subprocess.Popen([ray, "start", "--head", "--block", "--node-ip-address", "127.0.0.1", "--num-cpus", "2",
                                     "--port", cls.address.split(":")[1], "--include-dashboard", "false", "--disable-usage-stats",
                                     "--temp-dir", os.path.join(cls.work, "ray")],
                                    cwd=cls.work, env=cls.env, stdout=subprocess.DEVNULL, stderr=log,
                                    start_new_session=True)
        log.close()
        try:
            deadline = time.monotonic() + 120
            while True:
                if cls.head.poll() is not None:
                    raise RuntimeError("ray start --head exited: " + open(os.path.join(cls.work, "head.log")).read()[-2000:])
                try:
                    socket.create_connection(("127.0.0.1", int(cls.address.split(":")[1])), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise RuntimeError("ray head did not listen within 120 s")
                    time.sleep(0.5)
        except BaseException:
            cls.stop_head()
            raise

    @classmethod
    def stop_head(cls):
        # `ray stop` would stop every Ray on this machine; this stops only the head started above.
        ray = os.path.join(os.path.dirname(sys.executable), "ray")
        try:
            cls.head.terminate()
            cls.head.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(cls.head.pid, 9)
            cls.head.wait()
        finally:
            if os.environ.get("FLEET_TEST_RAY_STOP") == "1":  # CI containers: also `ray stop` whatever is left
                subprocess.run([ray, "stop", "--force"], env=cls.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    @classmethod
    def tearDownClass(cls):
        try:
            cls.stop_head()
        finally:
            shutil.rmtree(cls.work, ignore_errors=True)

    def fleet(self, set_file, report, **env):
        cmd = [sys.executable, "-m", "fleet", "replay", set_file, "--report", report, "--address", self.address,
               "--binary", self.binary, "--workers", "2", "--retries", "2", *REPLAY, "--", *EXTRA]
        return subprocess.run(cmd, cwd=self.work, env=dict(self.env, **env), capture_output=True, text=True, timeout=600)

    _direct = {}

    def direct(self, set_file):
        """One plain `clearlane replay` of the whole set (after the fleet's, so the fleet generates the cache)."""
        if set_file not in self._direct:
            report = "direct-" + set_file.split(".")[0]
            r = subprocess.run([self.binary, "replay", set_file, "--report", report, "--quiet", *REPLAY, *EXTRA],
                               cwd=self.work, capture_output=True, text=True, timeout=600)
            self._direct[set_file] = (r.returncode, comparable(os.path.join(self.work, report, "report.json")))
        return self._direct[set_file]

    def fleet_json(self, report):
        with open(os.path.join(self.work, report, "fleet.json")) as f:
            return json.load(f)

    def test_a_four_drives_merge_into_the_direct_replay(self):
        r = self.fleet("four.yaml", "fleet-a")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("[4/4]", r.stderr)
        merged = comparable(os.path.join(self.work, "fleet-a", "report.json"))
        self.assertEqual([d["index"] for d in merged["drives"]], [0, 1, 2, 3])
        status, direct = self.direct("four.yaml")
        self.assertEqual(status, 0)
        self.assertEqual(merged, direct, "fleet report differs from the direct replay")
        self.assertEqual(len(os.listdir(os.path.join(self.work, "fleet-a", "strips"))), 4)
        summary = self.fleet_json("fleet-a")
        self.assertEqual((summary["drives"], summary["replayed"], summary["failed_drives"], summary["lost_drives"]), (4, 4, [], []))
        self.assertGreater(summary["drives_per_hour"], 0)
        self.assertTrue(all(d["replay_seconds"] > 0 and d["task_seconds"] >= d["replay_seconds"] for d in summary["per_drive"]))
        self.assertFalse([e for e in os.listdir(self.work) if ".fleet-" in e], "per-drive parts left behind")

    def test_b_killed_worker_is_retried(self):
        r = self.fleet("four.yaml", "fleet-b", FLEET_TEST_KILL_ONCE="1")
        self.assertEqual(r.returncode, 0, r.stderr)
        # The first attempt at drive 1 killed its worker (its marker file says so); Ray re-ran the task.
        self.assertEqual(self.fleet_json("fleet-b")["test_kill_once"], {"drive": 1, "killed": True})
        merged = comparable(os.path.join(self.work, "fleet-b", "report.json"))
        self.assertEqual([d["index"] for d in merged["drives"]], [0, 1, 2, 3])
        self.assertEqual(merged, self.direct("four.yaml")[1])
        self.assertEqual(self.fleet_json("fleet-b")["replayed"], 4)

    def test_c_broken_drive_is_reported_and_the_rest_merged(self):
        r = self.fleet("broken.yaml", "fleet-c")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("DRIVE FAILED", r.stderr)
        merged = comparable(os.path.join(self.work, "fleet-c", "report.json"))
        self.assertEqual([d["index"] for d in merged["drives"]], [0, 2])
        self.assertEqual([(d["index"], d["name"]) for d in merged["failed_drives"]], [(1, "broken")])
        self.assertTrue(merged["failed_drives"][0]["error"])
        status, direct = self.direct("broken.yaml")
        self.assertEqual(status, 1)
        # The error text is GStreamer's and varies between runs of the same file (see docs/guides/fleet-replay.md); the rest is exact.
        for report in (merged, direct):
            for failed in report["failed_drives"]:
                failed.pop("error")
        self.assertEqual(merged, direct)
        summary = self.fleet_json("fleet-c")
        self.assertEqual([d["index"] for d in summary["failed_drives"]], [1])
        self.assertEqual(next(d for d in summary["per_drive"] if d["index"] == 1)["attempts"], 1, "a drive failure is not retried")


class CountingDrives(unittest.TestCase):
    def test_sets_and_folders(self):
        sys.path.insert(0, REPO)
        from fleet.driver import Failure, count_drives

        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "s.yaml"), "w") as f:
                f.write("cache: c\ndrives:\n  - path: a\n  - synth: {preset: clear, seed: 1, frames: 5, size: 64x36}\n")
            self.assertEqual(count_drives([os.path.join(d, "s.yaml"), SAMPLE]), 3)
            with open(os.path.join(d, "bad.yaml"), "w") as f:
                f.write("cache: c\n")
            with self.assertRaises(Failure):
                count_drives([os.path.join(d, "bad.yaml")])


if __name__ == "__main__":
    unittest.main()
