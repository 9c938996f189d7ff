"""Reading what the SDK's in-memory metric reader collected."""

from typing import Any


def collected(reader: Any) -> dict[str, list[Any]]:
    """metric name -> its data points, as the reader collects them now."""
    points: dict[str, list[Any]] = {}
    for resource in reader.get_metrics_data().resource_metrics:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                points.setdefault(metric.name, []).extend(metric.data.data_points)
    return points
