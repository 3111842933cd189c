"""The kubernetes target's own bookkeeping, without a cluster (its rollouts run against a stand-in kubectl
in the template's tests)."""

from __future__ import annotations

import copy

from {{ cookiecutter.package }}.deployment.kubernetes import version_and_image, with_image

DEPLOYMENT = {
    "kind": "Deployment",
    "metadata": {"name": "service"},
    "spec": {
        "selector": {"matchLabels": {"app": "service"}},
        "template": {"metadata": {"labels": {"app": "service"}}, "spec": {"containers": [{"image": "none"}]}},
    },
}


def test_an_undone_rollout_names_the_version_it_put_back():
    """The version is read from the pod template, which every rollback restores (a rollout undo, a rollback
    by hand with an earlier template): after one, it is the version the restored pods run."""
    first = with_image(DEPLOYMENT, "registry/service:v1", "1", "service", {})
    second = with_image(first, "registry/service:v2", "2", "service", {})
    assert version_and_image(second) == ("2", "registry/service:v2")

    undone = copy.deepcopy(second)
    undone["spec"]["template"] = copy.deepcopy(first["spec"]["template"])  # what kubectl rollout undo does

    assert version_and_image(undone) == ("1", "registry/service:v1")


def test_a_deployment_rolled_out_before_the_template_carried_the_version_still_names_it():
    """Rolled out by an earlier version of this project, which annotated the Deployment itself."""
    earlier = copy.deepcopy(DEPLOYMENT)
    earlier["metadata"]["annotations"] = {"model-version": "4"}
    assert version_and_image(earlier) == ("4", "none")
