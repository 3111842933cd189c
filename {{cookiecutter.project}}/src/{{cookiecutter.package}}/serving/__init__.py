"""The prediction service: model loading, inference backends, metrics and the FastAPI app."""
