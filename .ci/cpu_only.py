"""Check that installing tactica (with its dev extras) on top of a CPU build of torch stays CPU-only.

pip resolves the README's install command without installing anything (``--dry-run --report``); the check fails
if the resolution would add or replace torch, or bring any CUDA package (``nvidia-*``, ``triton``, ``cuda-*``).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

CUDA_PREFIXES = ("nvidia-", "triton", "cuda-", "cupy")


def main() -> int:
    import torch

    if torch.version.cuda is not None:
        print(
            f"installed torch {torch.__version__} is a CUDA build (cuda {torch.version.cuda})",
            file=sys.stderr,
        )
        return 1
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "report.json"
        command = [sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "--report", str(report)]
        subprocess.run([*command, "-e", ".[dev]"], check=True)
        planned = [
            (item["metadata"]["name"].lower(), item["metadata"]["version"])
            for item in json.loads(report.read_text())["install"]
        ]
    bad = [
        f"{name}=={version}" for name, version in planned if name == "torch" or name.startswith(CUDA_PREFIXES)
    ]
    if bad:
        print(
            f"installing tactica would add GPU packages or replace the CPU torch: {', '.join(bad)}",
            file=sys.stderr,
        )
        return 1
    print(
        f"CPU-only: torch {torch.__version__} kept; pip would install {len(planned)} package(s), none for CUDA"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
