"""Tests of the Jenkinsfile harness itself (tests/ci/jenkins), on small inline Jenkinsfiles.

Each harness run starts a JVM (~2 s), so each Jenkinsfile exercises several features at once.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ci.jenkins.runner import JenkinsRun, lint_jenkinsfiles, require_tool, run_jenkinsfile

PIPELINE = """
pipeline {
    agent any
    options {
        timeout(time: 10, unit: 'MINUTES')
        disableConcurrentBuilds()
        buildDiscarder(logRotator(numToKeepStr: '20'))
    }
    environment {
        MODEL_NAME = 'income'
    }
    stages {
        stage('Build') {
            steps {
                sh 'echo "model=$MODEL_NAME" > built.txt'
            }
        }
        stage('Test') {
            steps {
                sh 'test "$(cat built.txt)" = "model=income" && echo read-back-ok'
                writeFile file: 'reports/junit.xml', text: '<testsuite><testcase name="t"/></testsuite>'
                junit 'reports/*.xml'
                archiveArtifacts artifacts: 'built.txt', fingerprint: true
                sh 'echo "single:${MODEL_NAME}:$BRANCH_NAME"'
                sh "echo double:${env.BRANCH_NAME}:${WORKSPACE}"
            }
        }
        stage('Deploy') {
            when { branch 'main' }
            steps {
                sh 'echo deploying'
            }
        }
        stage('Release') {
            when { tag 'v*' }
            steps {
                sh 'echo "releasing $TAG_NAME"'
            }
        }
        stage('PR checks') {
            when { changeRequest target: 'main' }
            steps {
                sh 'echo "PR $CHANGE_ID into $CHANGE_TARGET from $CHANGE_BRANCH"'
            }
        }
        stage('Checks') {
            parallel {
                stage('lint') {
                    steps { sh 'echo lint' }
                }
                stage('types') {
                    steps { sh 'echo types' }
                }
            }
        }
    }
    post {
        always { echo 'post-always' }
        success { echo 'post-success' }
        failure { echo 'post-failure' }
    }
}
"""


@pytest.fixture(autouse=True)
def _groovy() -> None:
    require_tool("groovy")


def run(tmp_path: Path, jenkinsfile: str, **kwargs) -> JenkinsRun:
    path = tmp_path / "Jenkinsfile"
    path.write_text(jenkinsfile)
    workdir = tmp_path / "ws"
    workdir.mkdir(exist_ok=True)
    kwargs.setdefault("branch", "main")
    return run_jenkinsfile(path, workdir, **kwargs)


def test_happy_path_runs_sh_steps_in_order_for_real(tmp_path: Path) -> None:
    result = run(tmp_path, PIPELINE, branch="main")
    workdir = (tmp_path / "ws").resolve()

    assert (result.result, result.returncode, result.error) == ("SUCCESS", 0, None), result.log
    assert result.sh_commands() == [
        'echo "model=$MODEL_NAME" > built.txt',
        'test "$(cat built.txt)" = "model=income" && echo read-back-ok',
        'echo "single:${MODEL_NAME}:$BRANCH_NAME"',  # single-quoted: reaches bash as written
        f"echo double:main:{workdir}",  # GString: Groovy interpolated it
        "echo deploying",
        "echo lint",
        "echo types",
    ]
    assert (workdir / "built.txt").read_text() == "model=income\n"
    assert "read-back-ok" in result.log
    assert "single:income:main" in result.log  # bash expanded it
    assert [(s["name"], s["status"], s["parent"]) for s in result.stages] == [
        ("Build", "success", None),
        ("Test", "success", None),
        ("Deploy", "success", None),
        ("Release", "skipped (when)", None),
        ("PR checks", "skipped (when)", None),
        ("Checks", "success", None),
        ("lint", "success", "Checks"),
        ("types", "success", "Checks"),
    ]
    assert result.stages[5]["kind"] == "parallel"
    (junit,) = result.steps_of("junit")
    assert (junit["args"], junit["files"], junit["summary"]["totalCount"]) == (
        {"testResults": "reports/*.xml"},
        ["reports/junit.xml"],
        1,
    )
    (archive,) = result.steps_of("archiveArtifacts")
    assert archive["args"] == {"artifacts": "built.txt", "fingerprint": True}
    assert archive["files"] == ["built.txt"]
    assert [option["name"] for option in result.report["options"]] == [
        "timeout",
        "disableConcurrentBuilds",
        "buildDiscarder",
    ]
    assert result.report["agent"] == "any"
    assert result.post_conditions() == ["always", "success"]
    assert "[Pipeline] { (Build)" in result.log
    assert "+ echo deploying" in result.log


@pytest.mark.parametrize(
    ("context", "ran", "skipped", "expected_log"),
    [
        pytest.param({"branch": "feature/x"}, [], ["Deploy", "Release", "PR checks"], None, id="feature-branch"),
        pytest.param(
            {"branch": "feature/x", "change_id": "7"},
            ["PR checks"],
            ["Deploy", "Release"],
            "PR 7 into main from feature/x",
            id="change-request",
        ),
        pytest.param(
            {"branch": "main", "tag": "v1.0.0"}, ["Release"], ["Deploy", "PR checks"], "releasing v1.0.0", id="tag"
        ),
    ],
)
def test_when_conditions_follow_the_build_context(
    tmp_path: Path, context: dict, ran: list[str], skipped: list[str], expected_log: str | None
) -> None:
    result = run(tmp_path, PIPELINE, **context)

    assert result.result == "SUCCESS", result.log
    assert {name: result.stage_status(name) for name in ran + skipped} == {
        **dict.fromkeys(ran, "success"),
        **dict.fromkeys(skipped, "skipped (when)"),
    }
    assert "echo deploying" not in result.sh_commands()
    assert 'Stage "Deploy" skipped due to when conditional' in result.log
    if expected_log:
        assert expected_log in result.log


def test_failing_sh_fails_the_stage_and_skips_later_stages(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        """
        pipeline {
            agent any
            stages {
                stage('ok') {
                    steps { sh 'echo fine' }
                }
                stage('broken') {
                    steps {
                        sh 'echo before; exit 3'
                        sh 'echo never'
                    }
                    post {
                        failure { echo 'stage-failure' }
                    }
                }
                stage('later') {
                    stages {
                        stage('nested') {
                            steps { sh 'echo never' }
                        }
                    }
                }
            }
            post {
                always { echo 'post-always' }
                failure { sh 'echo post-failure-sh' }
                success { echo 'post-success' }
            }
        }
        """,
    )

    assert (result.result, result.returncode) == ("FAILURE", 1)
    assert result.error == "script returned exit code 3"
    assert [(s["name"], s["status"]) for s in result.stages] == [
        ("ok", "success"),
        ("broken", "failed"),
        ("later", "not run"),
        ("nested", "not run"),
    ]
    assert result.sh_commands() == ["echo fine", "echo before; exit 3", "echo post-failure-sh"]
    assert result.steps_of("sh")[1]["exit_code"] == 3
    assert result.post_conditions("broken") == ["failure"]
    assert result.post_conditions() == ["always", "failure"]
    assert "ERROR: script returned exit code 3" in result.log
    assert 'Stage "later" skipped due to earlier failure(s)' in result.log
    assert "post-success" not in result.log
    assert result.log.rstrip().endswith("Finished: FAILURE")


def test_credentials_reach_the_shell_and_are_masked(tmp_path: Path) -> None:
    credentials = {
        "api-token": {"type": "string", "value": "tok-S3CRET"},
        "registry": {"type": "usernamePassword", "username": "robot", "password": "pw-S3CRET"},
        "kubeconfig": {"type": "file", "content": "file-S3CRET"},
    }
    result = run(
        tmp_path,
        """
        pipeline {
            agent any
            environment {
                TOKEN = credentials('api-token')
                REG = credentials('registry')
            }
            stages {
                stage('use') {
                    steps {
                        sh 'echo "$TOKEN|$REG|$REG_USR|$REG_PSW" > env-values.txt; echo "token=$TOKEN"'
                        withCredentials([
                            string(credentialsId: 'api-token', variable: 'T'),
                            usernamePassword(credentialsId: 'registry', usernameVariable: 'U', passwordVariable: 'P'),
                            file(credentialsId: 'kubeconfig', variable: 'KUBECONFIG'),
                        ]) {
                            sh 'echo "$T|$U|$P|$(cat "$KUBECONFIG")" > bound-values.txt; echo "password=$P"'
                        }
                    }
                }
            }
        }
        """,
        credentials=credentials,
    )

    assert result.result == "SUCCESS", result.log
    workdir = tmp_path / "ws"
    assert (workdir / "env-values.txt").read_text() == "tok-S3CRET|robot:pw-S3CRET|robot|pw-S3CRET\n"
    assert (workdir / "bound-values.txt").read_text() == "tok-S3CRET|robot|pw-S3CRET|file-S3CRET\n"
    assert "token=****" in result.log
    assert "password=****" in result.log
    assert "tok-S3CRET" not in result.log
    assert "pw-S3CRET" not in result.log
    assert "S3CRET" not in json.dumps(result.report)
    (binding,) = result.steps_of("withCredentials")
    assert [b["credentialsId"] for b in binding["args"]["bindings"]] == ["api-token", "registry", "kubeconfig"]


def test_missing_credential_fails_the_build(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        """
        pipeline {
            agent any
            stages {
                stage('deploy') {
                    environment { TOKEN = credentials('no-such-id') }
                    steps { sh 'echo never' }
                }
            }
        }
        """,
        credentials={},
    )

    assert (result.result, result.returncode) == ("FAILURE", 1)
    assert result.error == "Could not find credentials entry with ID 'no-such-id'"
    assert "ERROR: Could not find credentials entry with ID 'no-such-id'" in result.log
    assert result.stage_status("deploy") == "failed"
    assert result.sh_commands() == []


def test_unknown_step_fails_loudly_even_inside_catch_error(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        """
        pipeline {
            agent any
            stages {
                stage('first') {
                    steps { sh 'echo ran' }
                }
                stage('typo') {
                    steps {
                        catchError(buildResult: 'SUCCESS', stageResult: 'SUCCESS') {
                            shh 'echo typo'
                        }
                    }
                }
            }
        }
        """,
    )

    assert (result.result, result.returncode) == ("FAILURE", 1)
    assert result.error == "unsupported step: shh"
    assert result.stage_status("first") == "success"
    assert result.stage_status("typo") == "failed"


def test_npm_groovy_lint_finds_errors_only_in_a_broken_jenkinsfile(tmp_path: Path) -> None:
    require_tool("npm-groovy-lint")
    clean = tmp_path / "clean" / "Jenkinsfile"
    broken = tmp_path / "broken" / "Jenkinsfile"
    for path, text in ((clean, PIPELINE), (broken, PIPELINE.replace("stage('Deploy') {", "stage('Deploy') ", 1))):
        path.parent.mkdir()
        path.write_text(text)

    findings = lint_jenkinsfiles([clean, broken])  # one JVM for both files

    assert findings[clean.resolve()] == []
    assert findings[broken.resolve()]
    assert all(error.startswith("Jenkinsfile:") for error in findings[broken.resolve()])
    assert any("NglParseError" in error for error in findings[broken.resolve()])


CACHED = """
pipeline {
    agent any
    stages {
        stage('Use') {
            steps {
                script {
                    cache(maxCacheSize: 100, defaultBranch: 'main', skipSave: true, caches: [store()]) {
                        sh 'cat store/value.txt 2>/dev/null || echo "no store"'
                    }
                }
            }
        }
        stage('Save') {
            when { branch 'main' }
            steps {
                cache(maxCacheSize: 100, skipRestore: true, caches: [store()]) {
                    sh 'mkdir -p store && echo "saved by $BRANCH_NAME build $BUILD_TAG_VALUE" > store/value.txt'
                }
            }
        }
    }
}

def store() {
    return arbitraryFileCache(path: 'store', cacheName: 'store')
}
"""


def test_job_cacher_restores_mains_cache_on_other_branches_and_saves_only_where_told(tmp_path: Path) -> None:
    caches = tmp_path / "caches"

    def build(folder: str, branch: str, value: str, **kwargs) -> JenkinsRun:
        path = tmp_path / folder / "Jenkinsfile"
        path.parent.mkdir()
        path.write_text(CACHED)
        (tmp_path / folder / "ws").mkdir()
        env = {"BUILD_TAG_VALUE": value}
        return run_jenkinsfile(path, tmp_path / folder / "ws", branch=branch, cache_dir=caches, env=env, **kwargs)

    first = build("first", "main", "1")
    assert first.result == "SUCCESS", first.log
    assert "no store" in first.log
    assert (caches / "main" / "store" / "value.txt").read_text() == "saved by main build 1\n"

    pull_request = build("pr", "feature/x", "2", change_id="5")
    assert pull_request.result == "SUCCESS", pull_request.log
    assert "[Cache for store] restored the cache of main" in pull_request.log
    assert "saved by main build 1" in pull_request.log
    assert pull_request.stage_status("Save") == "skipped (when)"
    assert sorted(path.name for path in caches.iterdir()) == ["main"]

    second = build("second", "main", "3")
    assert "saved by main build 1" in second.log
    assert (caches / "main" / "store" / "value.txt").read_text() == "saved by main build 3\n"
    assert [step["args"]["caches"] for step in second.steps_of("cache")] == [["store"], ["store"]]


def test_a_cache_without_its_required_size_fails_the_build(tmp_path: Path) -> None:
    result = run(tmp_path, CACHED.replace("maxCacheSize: 100, defaultBranch", "defaultBranch"))
    assert result.result == "FAILURE"
    assert "cache: maxCacheSize is required" in result.log
