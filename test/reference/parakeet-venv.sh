#!/usr/bin/env bash
# Creates the virtual environment of the Parakeet reference (test/reference/parakeet_reference.py) and prints the
# path of its python. Debian's python3-torch (1.13) is too old for transformers 5, so torch, transformers and
# librosa come from pip, pinned. Idempotent: a venv whose stamp matches the pins is reused as it is.
#
#   bash test/reference/parakeet-venv.sh            # -> test/reference/.venv-parakeet/bin/python
#   PARAKEET_VENV=/tmp/pv bash test/reference/parakeet-venv.sh
#   bash test/reference/parakeet-venv.sh --mlx      # also tries mlx + parakeet-mlx in a second venv
#                                                   #    (test/reference/.venv-parakeet-mlx); failure there is
#                                                   #    reported, never fatal
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${PARAKEET_VENV:-$here/.venv-parakeet}"
python="${PARAKEET_BASE_PYTHON:-/usr/bin/python3}"

# torch's CPU build: the +cpu wheel where a local wheel directory or the CPU index has it, else the plain release.
pins=(
  "torch==2.13.*"
  "transformers==5.18.*"
  "librosa==0.11.*"
  "safetensors>=0.4"
  "numpy>=1.26,<3"
)
stamp="$venv/.verbatim-pins"
# Where only a local index answers, each retry of an unreachable one costs seconds per package: try once.
export PIP_RETRIES="${PIP_RETRIES:-0}"
want="$(printf '%s\n' "${pins[@]}")"

# The stamp is written only after the imports and versions were checked.
if [ ! -x "$venv/bin/python" ] || [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  [ -x "$venv/bin/python" ] || "$python" -m venv "$venv" >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${pins[@]}" >&2
  "$venv/bin/python" -c "import torch, transformers, librosa, safetensors; assert transformers.__version__.startswith('5.18'), transformers.__version__; assert torch.__version__.startswith('2.13'), torch.__version__" >&2
  printf '%s' "$want" >"$stamp"
fi

if [ "${1:-}" = "--mlx" ]; then
  mlx_venv="${PARAKEET_MLX_VENV:-$here/.venv-parakeet-mlx}"
  (
    [ -x "$mlx_venv/bin/python" ] || "$python" -m venv "$mlx_venv"
    "$mlx_venv/bin/python" -m pip install --quiet --disable-pip-version-check mlx parakeet-mlx &&
      "$mlx_venv/bin/python" -c "import mlx.core, parakeet_mlx"
  ) >&2 || echo "parakeet-venv.sh: mlx / parakeet-mlx did not install or import in $mlx_venv" >&2
fi

echo "$venv/bin/python"
