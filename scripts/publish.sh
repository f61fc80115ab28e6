#!/usr/bin/env bash
# Builds xos as one self-contained executable per runtime: no .NET needed on the machine that runs it; SQLite's native
# library is inside the file and unpacked beside it on first start ($DOTNET_BUNDLE_EXTRACT_BASE_DIR, default ~/.net).
#   scripts/publish.sh [RID ...]       RIDs: linux-x64 (default), linux-arm64
#   OUT=dir scripts/publish.sh          where the files go (default ./out): OUT/RID/xos
set -euo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-out}
rids=("$@")
[ ${#rids[@]} -gt 0 ] || rids=(linux-x64)
for rid in "${rids[@]}"; do
  dotnet publish src/Xos.Server -c Release -r "$rid" --self-contained -nologo -v quiet \
    -p:PublishSingleFile=true -p:IncludeNativeLibrariesForSelfExtract=true -p:DebugType=embedded \
    -o "$out/$rid"
  echo "$out/$rid/xos: $(du -m "$out/$rid/xos" | cut -f1) MiB ($(file -b "$out/$rid/xos" 2>/dev/null | cut -d, -f1,2 || echo "$rid"))"
done
