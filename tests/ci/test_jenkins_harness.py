"""Tests of the Jenkinsfile harness itself (tests/ci/jenkins), on small inline Jenkinsfiles.

The harness implements what the template's two Jenkinsfiles use, and nothing else: these tests cover
each of those behaviours, and that anything else fails the build naming it. Each harness run starts a
JVM (~2 s), so each Jenkinsfile exercises several behaviours at once.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ci.jenkins.runner import JenkinsRun, lint_jenkinsfiles, require_tool, run_jenkinsfile

PIPELINE = """
pipeline {
    agent { label 'deploy' }
    options {
        timeout(time: 10, unit: 'MINUTES')
        disableConcurrentBuilds()
        buildDiscarder(logRotator(numToKeepStr: '20'))
        timestamps()
    }
    environment {
        MODEL_NAME = 'income'
        CACHE_DIR = "${WORKSPACE}/.cache"
        JUNIT = '<testsuite><testcase name="t"/></testsuite>'
    }
    stages {
        stage('Build') {
            steps {
                sh 'echo "model=$MODEL_NAME" > built.txt'
                cli('lint')
            }
        }
        stage('Test') {
            steps {
                sh 'test "$(cat built.txt)" = "model=income" && echo read-back-ok'
                sh 'mkdir -p reports/junit && echo "$JUNIT" > reports/junit/unit.xml'
                sh 'echo "single:${MODEL_NAME}:$BRANCH_NAME:$CACHE_DIR"'
                sh 'echo "build $BUILD_NUMBER of $JOB_NAME; harness=${HARNESS_CACHE_DIR:-}${HARNESS_DROP_ENV:-}"'
                sh 'echo "PR ${CHANGE_ID:-none} into ${CHANGE_TARGET:-none} from ${CHANGE_BRANCH:-none}"'
            }
            post {
                always {
                    junit testResults: 'reports/junit/*.xml', allowEmptyResults: true
                }
            }
        }
        stage('Deploy') {
            when {
                branch 'main'
            }
            steps {
                script {
                    input message: 'Deploy to production?', ok: 'Deploy'
                }
                lock(resource: 'production') {
                    script {
                        sh 'echo deploying'
                    }
                }
            }
        }
    }
    post {
        always {
            archiveArtifacts artifacts: 'reports/**, built.txt, not-there.txt', allowEmptyArchive: true
        }
    }
}

def cli(String stage) {
    sh "echo cli ${stage} on ${env.BRANCH_NAME}"
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


def stages(result: JenkinsRun) -> list[tuple[str, str]]:
    return [(stage["name"], stage["status"]) for stage in result.stages]


def test_happy_path_runs_sh_steps_in_order_for_real(tmp_path: Path) -> None:
    result = run(tmp_path, PIPELINE, branch="main")
    workdir = (tmp_path / "ws").resolve()

    assert (result.result, result.returncode, result.error) == ("SUCCESS", 0, None), result.log
    assert result.sh_commands() == [
        'echo "model=$MODEL_NAME" > built.txt',
        "echo cli lint on main",  # a method of the Jenkinsfile, its GString interpolated by Groovy
        'test "$(cat built.txt)" = "model=income" && echo read-back-ok',
        'mkdir -p reports/junit && echo "$JUNIT" > reports/junit/unit.xml',
        'echo "single:${MODEL_NAME}:$BRANCH_NAME:$CACHE_DIR"',  # single-quoted: reaches the shell as written
        'echo "build $BUILD_NUMBER of $JOB_NAME; harness=${HARNESS_CACHE_DIR:-}${HARNESS_DROP_ENV:-}"',
        'echo "PR ${CHANGE_ID:-none} into ${CHANGE_TARGET:-none} from ${CHANGE_BRANCH:-none}"',
        "echo deploying",
    ]
    assert (workdir / "built.txt").read_text() == "model=income\n"
    assert "read-back-ok" in result.log
    assert f"single:income:main:{workdir}/.cache" in result.log  # the shell expanded it
    assert "build 1 of ws/main; harness=\n" in result.log  # the harness's own settings stay out of the steps
    assert "PR none into none from none" in result.log
    assert stages(result) == [
        ("Build", "success"),
        ("Test", "success"),
        ("Deploy", "success"),
    ]
    (junit,) = result.steps_of("junit")
    assert (junit["stage"], junit["args"], junit["files"], junit["summary"]["totalCount"]) == (
        "Test",
        {"testResults": "reports/junit/*.xml", "allowEmptyResults": True},
        ["reports/junit/unit.xml"],
        1,
    )
    (archive,) = result.steps_of("archiveArtifacts")
    assert archive["stage"] is None  # the pipeline's post
    assert archive["args"] == {"artifacts": "reports/**, built.txt, not-there.txt", "allowEmptyArchive": True}
    assert archive["files"] == ["built.txt", "reports/junit/unit.xml"]
    (lock,) = result.steps_of("lock")
    assert (lock["stage"], lock["args"]) == ("Deploy", {"resource": "production"})
    assert [option["name"] for option in result.report["options"]] == [
        "timeout",
        "disableConcurrentBuilds",
        "buildDiscarder",
        "timestamps",
    ]
    assert result.report["options"][2]["args"] == {"logRotator": {"numToKeepStr": "20"}}
    assert result.report["agent"] == "label deploy"
    (approval,) = result.steps_of("input")
    assert (approval["stage"], approval["args"]) == ("Deploy", {"message": "Deploy to production?", "ok": "Deploy"})
    assert "Deploy to production?: approved (the harness approves every input step)" in result.log
    assert result.post_conditions() == ["always"]
    assert result.post_conditions("Test") == ["always"]
    assert "[Pipeline] { (Build)" in result.log
    assert "+ echo deploying" in result.log


@pytest.mark.parametrize(
    ("context", "expected_log"),
    [
        pytest.param({"branch": "feature/x"}, "PR none into none from none", id="feature-branch"),
        pytest.param({"branch": "feature/x", "change_id": "7"}, "PR 7 into main from feature/x", id="change-request"),
    ],
)
def test_when_branch_skips_the_stage_elsewhere(tmp_path: Path, context: dict, expected_log: str) -> None:
    result = run(tmp_path, PIPELINE, **context)

    assert result.result == "SUCCESS", result.log
    assert result.stage_status("Deploy") == "skipped (when)"
    assert "echo deploying" not in result.sh_commands()
    assert 'Stage "Deploy" skipped due to when conditional' in result.log
    assert expected_log in result.log


def test_failing_sh_fails_the_stage_and_skips_later_stages_but_not_post(tmp_path: Path) -> None:
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
                        always { sh 'echo stage-post-always' }
                    }
                }
                stage('later') {
                    steps { sh 'echo never' }
                }
            }
            post {
                always {
                    sh 'echo post-always'
                    junit testResults: 'reports/*.xml'
                }
            }
        }
        """,
    )

    assert (result.result, result.returncode) == ("FAILURE", 1)
    assert result.error == "script returned exit code 3"
    assert stages(result) == [
        ("ok", "success"),
        ("broken", "failed"),
        ("later", "not run"),
    ]
    assert result.sh_commands() == ["echo fine", "echo before; exit 3", "echo stage-post-always", "echo post-always"]
    assert result.steps_of("sh")[1]["exit_code"] == 3
    assert result.post_conditions("broken") == ["always"]
    assert result.post_conditions() == ["always"]
    assert "ERROR: script returned exit code 3" in result.log
    assert 'Stage "later" skipped due to earlier failure(s)' in result.log
    assert "ERROR: No test report files were found. Configuration error?" in result.log  # no allowEmptyResults
    assert result.log.rstrip().endswith("Finished: FAILURE")


def test_failed_test_cases_make_the_stage_and_the_build_unstable(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        """
        pipeline {
            agent any
            environment {
                JUNIT = '<testsuite><testcase name="ok"/><testcase name="bad"><failure/></testcase></testsuite>'
            }
            stages {
                stage('Test') {
                    steps {
                        sh 'mkdir -p reports && echo "$JUNIT" > reports/unit.xml'
                    }
                    post {
                        always { junit testResults: 'reports/*.xml' }
                    }
                }
                stage('Report') {
                    steps { sh 'echo still-runs' }
                }
            }
        }
        """,
    )

    assert (result.result, result.returncode, result.error) == ("UNSTABLE", 3, None), result.log
    assert stages(result) == [("Test", "unstable"), ("Report", "success")]
    assert result.steps_of("junit")[0]["summary"] == {"totalCount": 2, "failCount": 1}
    assert "still-runs" in result.log


CREDENTIALS = """
pipeline {
    agent any
    stages {
        stage('use') {
            steps {
                withTracking {
                    sh 'echo "$U|$P" > bound.txt; echo "user=$U password=$P"'
                    sh "echo interpolated=${env.P}"
                }
                withCredentials([]) {
                    sh 'echo "unbound=${P:-none}"'
                }
            }
        }
    }
}

def withTracking(Closure body) {
    def binding = usernamePassword(
        credentialsId: env.CREDENTIALS_ID,
        usernameVariable: 'U',
        passwordVariable: 'P')
    withCredentials([binding]) {
        body()
    }
}
"""


def test_credentials_reach_the_shell_only_inside_the_block_and_are_masked(tmp_path: Path) -> None:
    credentials = {"registry": {"type": "usernamePassword", "username": "robot", "password": "pw-S3CRET"}}
    result = run(tmp_path, CREDENTIALS, credentials=credentials, env={"CREDENTIALS_ID": "registry"})

    assert result.result == "SUCCESS", result.log
    assert (tmp_path / "ws" / "bound.txt").read_text() == "robot|pw-S3CRET\n"
    assert "user=robot password=****" in result.log
    assert "interpolated=****" in result.log
    assert "unbound=none" in result.log
    assert "S3CRET" not in result.log
    assert "S3CRET" not in json.dumps(result.report)
    bindings = [step["args"]["bindings"] for step in result.steps_of("withCredentials")]
    assert [[binding["credentialsId"] for binding in each] for each in bindings] == [["registry"], []]


@pytest.mark.parametrize(
    ("credentials", "error"),
    [
        pytest.param({}, "Could not find credentials entry with ID 'registry'", id="missing"),
        pytest.param(
            {"registry": {"type": "string", "value": "x"}},
            "Credentials 'registry' is of type 'string' where 'usernamePassword' was expected",
            id="wrong-type",
        ),
    ],
)
def test_a_credential_that_is_not_there_as_expected_fails_the_build(
    tmp_path: Path, credentials: dict, error: str
) -> None:
    result = run(tmp_path, CREDENTIALS, credentials=credentials, env={"CREDENTIALS_ID": "registry"})

    assert (result.result, result.returncode, result.error) == ("FAILURE", 1, error)
    assert f"ERROR: {error}" in result.log
    assert result.stage_status("use") == "failed"
    assert result.sh_commands() == []


def test_an_unknown_step_fails_the_build_naming_it(tmp_path: Path) -> None:
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
                    steps { shh 'echo typo' }
                    post {
                        always { sh script: 'echo map-form' }
                    }
                }
                stage('later') {
                    steps { sh 'echo never' }
                }
            }
            post {
                always { archiveArtifacts artifacts: 'x', fingerprint: true }
            }
        }
        """,
    )

    assert (result.result, result.returncode) == ("FAILURE", 1)
    assert result.error == "unsupported step: shh"
    assert stages(result) == [
        ("first", "success"),
        ("typo", "failed"),
        ("later", "not run"),
    ]
    # A known step called another way, an argument a step does not take: named too.
    assert "ERROR: unsupported step: sh with arguments (LinkedHashMap)" in result.log
    assert "ERROR: unsupported archiveArtifacts argument: fingerprint" in result.log
    assert result.sh_commands() == ["echo ran"]


def test_a_jenkinsfile_method_misused_fails_loudly_and_a_script_block_sets_env(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        """
        pipeline {
            agent any
            stages {
                stage('S') {
                    steps { cli(1, 2) }
                    post {
                        always {
                            script { env.X = 'y' }
                            echo "X is ${env.X}"
                        }
                    }
                }
            }
        }

        def cli(String stage) {
            sh "echo ${stage}"
        }
        """,
    )

    assert result.result == "FAILURE"
    assert result.error == "unsupported arguments of the Jenkinsfile's method: cli with arguments (Integer, Integer)"
    assert "X is y" in result.log  # env.NAME = value in a script block, as the Jenkinsfile's Setup does


def test_the_definition_is_checked_before_the_build_starts(tmp_path: Path) -> None:
    """What the harness does not implement and Jenkins' own declarative checks, all reported at once."""
    result = run(
        tmp_path,
        """
        pipeline {
            agent none
            parameters { string(name: 'X') }
            options { retry(2) }
            stages {
                stage('a') {
                    options { retry(2) }
                    when { tag 'v*' }
                    steps { sh 'echo a' }
                    post { failure { sh 'true' } }
                }
                stage('a') {
                    when { branch 'release-*' }
                    steps { sh 'echo again' }
                }
                stage('empty') { }
                parallel { }
            }
        }
        """,
    )

    assert (result.result, result.returncode) == ("FAILURE", 1)
    assert result.error == (
        "Workflow script validation failed:\n"
        "  unsupported agent: none\n"
        "  unsupported pipeline section: parameters\n"
        "  unsupported option: retry\n"
        "  unsupported stage directive (in stage 'a'): options\n"
        "  unsupported when condition: tag\n"
        "  unsupported post condition: failure\n"
        "  unsupported branch pattern: release-*\n"
        "  unsupported in stages: parallel\n"
        '  Duplicate stage name: "a"\n'
        '  Nothing to execute within stage "empty"'
    )
    assert result.stages == []
    assert result.sh_commands() == []


@pytest.mark.parametrize(
    ("jenkinsfile", "error"),
    [
        pytest.param(
            "pipeline { }",
            'Workflow script validation failed:\n  Missing required section "agent"\n'
            '  Missing required section "stages"',
            id="empty",
        ),
        pytest.param("def notRun = { }", "no pipeline { } block in the Jenkinsfile", id="none"),
        pytest.param(
            "pipeline { agent any\n stages { } }\npipeline { }", "only one pipeline { } block is allowed", id="two"
        ),
    ],
)
def test_a_jenkinsfile_is_one_pipeline_with_an_agent_and_stages(tmp_path: Path, jenkinsfile: str, error: str) -> None:
    result = run(tmp_path, jenkinsfile)

    assert (result.result, result.returncode, result.error) == ("FAILURE", 1, error)


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
    return arbitraryFileCache(path: 'store', cacheName: 'store', compressionMethod: 'TARGZ')
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
