"""Putting the champion into service: the local target (a service process on this machine), the Kubernetes
target (kustomize manifests and kubectl), the container image, and the smoke test every rollout passes."""
