"""Input and output: data files, reports, versions and the MLflow store."""
