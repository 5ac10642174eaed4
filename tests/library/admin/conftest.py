from __future__ import annotations

TENANT_A_HOST = "tenant-a.test"
