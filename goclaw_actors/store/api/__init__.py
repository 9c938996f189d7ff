"""The store's write interface by noun: one Protocol per noun (`tasks.TasksApi`, `approvals.ApprovalsApi`, …),
their union `QueueBackend` (queue_backend.py), and the typed client facade `facade.StoreApi`."""
