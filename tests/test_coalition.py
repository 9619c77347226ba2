"""A coalition's batch (generate.py batch) on each executor: this machine's own worker
processes, a Dask LocalCluster, and a real Dask scheduler with two workers started here on
127.0.0.1. Each gives the same bytes; a worker killed mid-batch loses nothing."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT, pdf_text, run_generate

from materialgen.build import Listener, Request, build
from materialgen.errors import InputErrors
from materialgen.executors import check_workers
from materialgen.project import Project
from materialgen.render import Options

ORGS = {
    "north-clinic": ("North Side Clinic", "612-555-0101"),
    "river-church": ("Riverside Church", "651-555-0102"),
    "lake-school": ("Lake Adult School", "218-555-0103"),
}
LANGS = ["en", "es"]
MATERIALS = ["wallet-card", "wallet-card-sheet", "safety-card", "flyer"]
DASK = Path(ROOT / ".venv" / "bin" / "dask")


@pytest.fixture
def orgs_dir(tmp_path) -> Path:
    folder = tmp_path / "orgs"
    folder.mkdir()
    for stem, (name, phone) in ORGS.items():
        (folder / f"{stem}.yaml").write_text(f"name: {name}\nphone: {phone}\n", encoding="utf-8")
    return folder


def batch(project: Path, orgs_dir: Path, output: Path, executor: str, listener=None):
    request = Request(
        langs=LANGS,
        materials=MATERIALS,
        options=Options(previews=False),
        jobs=2,
        executor=executor,
        organisations={path.stem: path for path in sorted(orgs_dir.glob("*.yaml"))},
    )
    return build(Project(project, output), request, listener)


def pdfs(output: Path) -> dict[str, bytes]:
    return {p.relative_to(output).as_posix(): p.read_bytes() for p in output.rglob("*.pdf")}


def expected_names() -> set[str]:
    shared = {f"{lang}/safety-card.pdf" for lang in LANGS}
    sets = {f"{org}/{lang}/{m}.pdf" for org in ORGS for lang in LANGS for m in MATERIALS}
    return shared | sets


@pytest.fixture
def cluster(tmp_path):
    """A real Dask scheduler and two single-threaded workers (no nanny: one process
    each, so that killing one kills the worker), on 127.0.0.1."""
    if not DASK.exists():
        pytest.skip("dask is not installed in .venv (run ./setup.sh)")
    scheduler_file = tmp_path / "scheduler.json"
    logs = tmp_path / "dask-logs"
    logs.mkdir()
    processes = []

    def start(name, *args):
        log = (logs / f"{name}.log").open("w")
        processes.append(
            subprocess.Popen([str(DASK), *args], stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path)
        )
        return processes[-1]

    start("scheduler", "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
          "--scheduler-file", str(scheduler_file))  # fmt: skip
    deadline = time.monotonic() + 60
    while not scheduler_file.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert scheduler_file.exists(), (logs / "scheduler.log").read_text()
    address = json.loads(scheduler_file.read_text())["address"]
    workers = [
        start(
            f"worker-{n}",
            "worker",
            "--scheduler-file",
            str(scheduler_file),
            "--nthreads",
            "1",
            "--no-nanny",
            "--no-dashboard",
            "--host",
            "127.0.0.1",
        )  # fmt: skip
        for n in (1, 2)
    ]
    from distributed import Client

    with Client(address, timeout=30) as client:
        client.wait_for_workers(2, timeout=60)
    try:
        yield address.removeprefix("tcp://"), workers
    finally:
        for process in processes:
            process.kill()
            process.wait()


def test_a_batch_gives_the_same_pdfs_on_every_executor(project, orgs_dir, tmp_path, cluster):
    address, _ = cluster
    outputs = {}
    for executor in ("local", "dask-local", f"dask://{address}"):
        output = tmp_path / executor.replace(":", "").replace("/", "-")
        outcome = batch(project, orgs_dir, output, executor)
        assert outcome.ok, [r.problems for r in outcome.failed]
        outputs[executor] = pdfs(output)
    local = outputs["local"]
    assert set(local) == expected_names()
    for executor, found in outputs.items():
        assert found == local, f"{executor} printed other bytes"
    # Each organisation prints its own name; the shared discreet card is one file.
    output = tmp_path / "local"
    for org, (name, phone) in ORGS.items():
        assert name in pdf_text(output / org / "en/flyer.pdf")
        assert phone in pdf_text(output / org / "en/wallet-card.pdf")
        assert name not in pdf_text(output / org / "en/safety-card.pdf")
        assert os.path.samefile(output / org / "es/safety-card.pdf", output / "es/safety-card.pdf")
        with zipfile.ZipFile(output / org / f"{org}.zip") as archive:
            assert sorted(archive.namelist()) == sorted(
                f"{lang}/{m}.pdf" for lang in LANGS for m in MATERIALS
            )
            assert archive.read("en/flyer.pdf") == local[f"{org}/en/flyer.pdf"]


def test_a_worker_killed_mid_batch_loses_nothing(project, orgs_dir, tmp_path, cluster):
    address, workers = cluster

    class Killer(Listener):
        finished_count = 0

        def finished(self, task, result):
            self.finished_count += 1
            if self.finished_count == 3:
                workers[0].send_signal(signal.SIGKILL)

    killer = Killer()
    outcome = batch(project, orgs_dir, tmp_path / "cluster", f"dask://{address}", killer)
    assert workers[0].wait(10) == -signal.SIGKILL
    assert outcome.ok, [r.problems for r in outcome.failed]
    reference = batch(project, orgs_dir, tmp_path / "local", "local")
    assert reference.ok
    assert pdfs(tmp_path / "cluster") == pdfs(tmp_path / "local")


def test_workers_that_differ_from_the_client_are_refused(project, tmp_path, cluster):
    """The client's copy of the project has another phone number than the workers'."""
    address, _ = cluster
    changed = tmp_path / "changed"
    shutil.copytree(project, changed, symlinks=True)
    resources = changed / "materials" / "resources.yaml"
    resources.write_text(resources.read_text().replace("1-888-373-7888", "1-888-373-7889", 1))
    from distributed import Client

    with Client(f"tcp://{address}", timeout=30) as client, pytest.raises(InputErrors) as refused:
        check_workers(client, project, client_root=changed)
    errors = [str(error) for error in refused.value.errors]
    assert len(errors) == 2  # one per worker
    assert all("differs from this machine: materials/resources.yaml differs" in e for e in errors)


def test_the_batch_command_summarises_each_organisation(project, orgs_dir, capsys):
    (orgs_dir / "broken.yaml").write_text("nme: Typo\n")
    code, out, err = run_generate(
        capsys, "batch", str(orgs_dir), "--project", str(project), "--lang", "en",
        "--material", "wallet-card", "--material", "safety-card", "--no-previews",
    )  # fmt: skip
    assert code == 1, out + err
    assert "Traceback" not in out + err
    lines = out.splitlines()
    assert f"broken: not built, 2 error(s) in {orgs_dir / 'broken.yaml'}" in lines
    assert f"    error: {orgs_dir / 'broken.yaml'}:1: unknown field 'nme'" in "\n".join(lines)
    for org in ORGS:
        zipped = project / "output" / org / f"{org}.zip"
        assert f"{org}: 2 of 2 documents (2 written, 0 up to date, 0 failed), {zipped}" in lines
    # Incremental: nothing changed, nothing built; one organisation's phone changed, only
    # its own documents are built again (not the shared discreet card).
    code, out, _ = run_generate(
        capsys, "batch", str(orgs_dir), "--project", str(project), "--lang", "en",
        "--material", "wallet-card", "--material", "safety-card", "--no-previews",
    )  # fmt: skip
    assert "0 written, 4 up to date" in out
    (orgs_dir / "north-clinic.yaml").write_text("name: North Side Clinic\nphone: 612-555-0199\n")
    code, out, _ = run_generate(
        capsys, "batch", str(orgs_dir), "--project", str(project), "--lang", "en",
        "--material", "wallet-card", "--material", "safety-card", "--no-previews",
    )  # fmt: skip
    assert [line.split()[1] for line in out.splitlines() if line.startswith("ok ")] == [
        "north-clinic/en"
    ]


def test_a_single_build_on_a_dask_local_cluster(project, capsys):
    args = ["--project", str(project), "--lang", "so", "--material", "wallet-card",
            "--material", "wallet-card-sheet", "--no-previews"]  # fmt: skip
    code, out, err = run_generate(capsys, *args, "--output", str(project / "local"))
    assert code == 0, out + err
    code, out, err = run_generate(
        capsys, *args, "--output", str(project / "dask"), "--executor", "dask-local"
    )
    assert code == 0, out + err
    assert pdfs(project / "dask") == pdfs(project / "local") != {}
