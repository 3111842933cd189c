"""`serve` for real: uvicorn on a free port answers /ready and /predict, then stops; bad model: one line."""

from __future__ import annotations

import json
import shutil
import socket
import urllib.request

import pytest

from {{ cookiecutter.package }}.cli import main
from {{ cookiecutter.package }}.core.payloads import sample_records
from {{ cookiecutter.package }}.core.scoring import positive_share
from {{ cookiecutter.package }}.errors import UserError
from {{ cookiecutter.package }}.io import model_files
from {{ cookiecutter.package }}.io.datasets import read_split
from {{ cookiecutter.package }}.serving.process import free_port, running_service
from {{ cookiecutter.package }}.stages.serve import read_token, require_free


def test_serve_answers_predict_on_a_free_port(served_project, copy_of, contract, tmp_path):
    """...with the threshold params.yaml has now: the model's baseline share is taken at it, no retraining."""
    project = copy_of(served_project)
    project.params.write_text(project.params.read_text().replace("threshold: 0.5", "threshold: 0.35", 1))
    record = sample_records(read_split(project.test_split), contract.input_columns(), rows=1, seed=0)[0]
    log = tmp_path / "serve.log"

    with running_service(project.root, "models/model", timeout_s=60, log=log) as url:
        request = urllib.request.Request(
            f"{url}/predict", data=json.dumps(record).encode(), headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            body = json.loads(response.read())
        with urllib.request.urlopen(f"{url}/metrics", timeout=10) as response:
            metrics = response.read().decode()

    assert body["predictions"][0]["label"] in {contract.label.positive, contract.label.negative}
    assert "backend onnx" in log.read_text()
    [share] = [float(line.split()[-1]) for line in metrics.splitlines() if line.startswith("model_predicted")]
    quantiles = model_files.load(project.model).score_quantiles
    assert share == positive_share(quantiles, 0.35) != positive_share(quantiles, 0.5)


def test_serve_with_an_unknown_alias_is_a_one_line_error(served_project, copy_of, seed_store, capsys):
    seed_store(copy_of(served_project))  # a store that has never heard of the alias (as cwd)

    assert main(["serve", "--model", "models:/{{ cookiecutter.project }}@nobody"]) == 2

    error = capsys.readouterr().err
    assert error.startswith("error: --model models:/{{ cookiecutter.project }}@nobody: not in sqlite:")
    assert len(error.strip().splitlines()) == 1


def test_serve_on_a_port_in_use_is_a_one_line_error(served_project, monkeypatch, capsys):
    monkeypatch.chdir(served_project.root)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        assert main(["serve", "--port", str(port)]) == 2

    error = capsys.readouterr()
    assert (
        error.err.strip()
        == f"error: --port {port}: cannot listen on 127.0.0.1:{port} (Address already in use)"
    )
    assert "startup complete" not in error.out + error.err


def test_serve_probes_its_address_in_its_own_family_and_names_a_bad_host(served_project, monkeypatch, capsys):
    monkeypatch.chdir(served_project.root)
    with socket.socket(socket.AF_INET6) as taken:  # an IPv6 address is an address, probed as one
        taken.bind(("::1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        assert main(["serve", "--host", "::1", "--port", str(port)]) == 2
        in_use = f"error: --port {port}: cannot listen on [::1]:{port} (Address already in use)\n"
        assert capsys.readouterr().err == in_use

    for host in ("", "0.0.0.0", "localhost"):  # all interfaces ("" as uvicorn takes it); a name's addresses
        require_free(host, free_port())
    for host in ("no-such-host.invalid", "a" * 300):  # not resolved; a name too long to encode
        assert main(["serve", "--host", host, "--port", str(free_port())]) == 2
        assert capsys.readouterr().err.startswith(f"error: --host {host}: not an address to listen on (")


def test_an_admin_token_file_that_is_not_text_is_one_line(served_project, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(served_project.root)
    token = tmp_path / "token"
    token.write_bytes(b"\xff\xfe" * 16)

    assert main(["serve", "--admin-token-file", str(token), "--port", str(free_port())]) == 2
    assert capsys.readouterr().err == f"error: --admin-token-file {token}: not UTF-8 text\n"
    token.write_text("sécurité-" * 3, encoding="utf-8")  # text, but no header could carry it as it is
    with pytest.raises(UserError, match=r": the token must be printable ASCII$"):
        read_token(token)  # not through main: without the check, it would start serving


def test_a_model_that_fails_to_load_stops_serve_with_exit_3(served_project, tmp_path, monkeypatch, capsys):
    broken = tmp_path / "broken-model"
    shutil.copytree(served_project.model, broken)
    for pickled in broken.glob("*.pkl"):
        pickled.write_bytes(b"not a pickle")
    monkeypatch.chdir(served_project.root)  # shared by other tests: its prediction log goes elsewhere
    elsewhere = ["--prediction-log", str(tmp_path / "predictions.jsonl")]

    assert main(["serve", "--model", str(broken), "--port", str(free_port()), *elsewhere]) == 3

    error = capsys.readouterr().err.strip().splitlines()
    assert error[-1].startswith("error: the service stopped: its model failed to load (")
    assert not (served_project.root / "logs").exists()
