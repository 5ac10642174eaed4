# The browser tests run against the same real gateway stack as the stream tests.
from tests.streaming.conftest import gateway, store_file, vault_root  # noqa: F401
