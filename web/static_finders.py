"""Static files from npm packages: only the files the pages load, found in node_modules.

scripts/bootstrap.sh installs the pinned packages (package.json, package-lock.json) with
`npm ci`; nothing of them is kept in the repository. A package's dist folder holds far more
than a page needs (hls.js: 30 MB of builds and source maps), so rather than a whole folder
in STATICFILES_DIRS this finder offers exactly the files named in `NODE_STATIC_FILES`
(static path -> path under NODE_MODULES_DIR), to `{% static %}`, WhiteNoise and collectstatic.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles.finders import BaseFinder
from django.core.checks import Error
from django.core.files.storage import FileSystemStorage


class NodeModulesFinder(BaseFinder):
    def files(self) -> dict[str, Path]:
        root = Path(settings.NODE_MODULES_DIR)
        return {static: root / source for static, source in settings.NODE_STATIC_FILES.items()}

    def check(self, **kwargs) -> list[Error]:
        return [
            Error(f"{path} is missing: run `make bootstrap` (npm ci)", id="web.E001")
            for path in self.files().values()
            if not path.is_file()
        ]

    def find(self, path: str, find_all: bool = False, **kwargs) -> str | list[str]:
        found = self.files().get(path)
        if found is None or not found.is_file():
            return [] if find_all else None
        return [str(found)] if find_all else str(found)

    def list(self, ignore_patterns) -> Iterator[tuple[str, FileSystemStorage]]:
        for static, path in self.files().items():
            if path.is_file():
                storage = FileSystemStorage(location=str(path.parent))
                storage.prefix = str(Path(static).parent)
                yield path.name, storage
