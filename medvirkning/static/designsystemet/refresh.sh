#!/usr/bin/env bash
# Refresh the vendored Designsystemet CSS (Digdir) in this directory.
#
# Installs @digdir/designsystemet-css and @digdir/designsystemet-theme from npm
# into a throw-away temp dir, inlines any @import so each CSS file is
# self-contained, and (re)writes here:
#   designsystemet.css  <- @digdir/designsystemet-css  dist/src/index.css (imports inlined)
#   theme.css           <- @digdir/designsystemet-theme brand/digdir.css  (imports inlined)
#   LICENSE             <- LICENSE files of both packages
#   VERSION             <- installed package versions
#
# Needs only node/npm (to install) and python3 (to bundle). Network access is
# needed only while running this script, never at service run time.
#
# Usage: ./refresh.sh                      # latest versions
#        DS_CSS_VERSION=1.22.0 DS_THEME_VERSION=1.11.0 ./refresh.sh   # pinned
#        DS_BRAND=altinn ./refresh.sh      # another brand theme from the theme package
set -euo pipefail

DEST="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CSS_VERSION="${DS_CSS_VERSION:-latest}"
THEME_VERSION="${DS_THEME_VERSION:-latest}"
BRAND="${DS_BRAND:-digdir}"

for tool in npm node python3; do
  command -v "$tool" >/dev/null || { echo "refresh.sh: '$tool' not found" >&2; exit 1; }
done

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

echo "Installing @digdir/designsystemet-css@$CSS_VERSION and @digdir/designsystemet-theme@$THEME_VERSION into $WORK ..."
(
  cd "$WORK"
  printf '{"name":"ds-vendor-tmp","version":"0.0.0","private":true}\n' > package.json
  npm install --no-audit --no-fund --loglevel=error \
    "@digdir/designsystemet-css@$CSS_VERSION" \
    "@digdir/designsystemet-theme@$THEME_VERSION" >/dev/null
)

CSS_PKG="$WORK/node_modules/@digdir/designsystemet-css"
THEME_PKG="$WORK/node_modules/@digdir/designsystemet-theme"
CSS_ENTRY="$CSS_PKG/dist/src/index.css"
THEME_ENTRY="$THEME_PKG/brand/$BRAND.css"
[ -f "$CSS_ENTRY" ]   || { echo "refresh.sh: $CSS_ENTRY not found (package layout changed?)" >&2; exit 1; }
[ -f "$THEME_ENTRY" ] || { echo "refresh.sh: $THEME_ENTRY not found (package layout changed?)" >&2; exit 1; }

# Inline @import rules recursively (relative paths and bare package specifiers
# resolved against node_modules). "layer(x)", "supports(...)" and media queries
# on the import are preserved by wrapping the inlined text in @layer/@supports/
# @media blocks. Remote (http/https) imports are refused. If a file has no
# @import it is copied byte-for-byte.
cat > "$WORK/bundle.py" <<'PY'
import os, re, sys

NODE_MODULES = sys.argv[1]
IMPORT_RE = re.compile(
    r'@import\s+(?:url\(\s*(?P<q1>["\']?)(?P<u1>[^"\')]+)(?P=q1)\s*\)|(?P<q2>["\'])(?P<u2>[^"\']+)(?P=q2))'
    r'(?P<rest>[^;]*);', re.S)
COMMENT_RE = re.compile(r'/\*.*?\*/', re.S)
CHARSET_RE = re.compile(r'^\ufeff?\s*@charset\s+"[^"]*"\s*;\s*', re.I)

def resolve(spec, base_dir):
    if re.match(r'^(https?:)?//', spec):
        sys.exit('bundle.py: refusing remote @import: ' + spec)
    spec = spec.split('?')[0].split('#')[0]
    # CSS semantics first (relative to the importing file), then a bare
    # package specifier such as @digdir/designsystemet-css/dist/src/button.css
    candidates = [os.path.normpath(os.path.join(base_dir, spec))]
    if not spec.startswith(('.', '/')):
        candidates.append(os.path.join(NODE_MODULES, spec))
    for path in candidates:
        if os.path.isdir(path):
            path = os.path.join(path, 'index.css')
        if os.path.isfile(path):
            return path
    sys.exit('bundle.py: cannot resolve @import %r from %s' % (spec, base_dir))

def bundle(path, stack=()):
    path = os.path.realpath(path)
    if path in stack:
        sys.exit('bundle.py: circular @import: ' + path)
    with open(path, encoding='utf-8') as f:
        css = f.read()
    if '@import' not in COMMENT_RE.sub('', css):
        return css
    base = os.path.dirname(path)
    def repl(m):
        spec = m.group('u1') or m.group('u2')
        body = CHARSET_RE.sub('', bundle(resolve(spec, base), stack + (path,)))
        rest = m.group('rest').strip()
        wrappers = []
        lm = re.match(r'layer(?:\(\s*([^)]*?)\s*\))?\s*', rest)
        if lm:
            wrappers.append('@layer %s' % lm.group(1) if lm.group(1) else '@layer')
            rest = rest[lm.end():]
        sm = re.match(r'supports\((.*)\)\s*', rest)
        if sm:
            wrappers.append('@supports (%s)' % sm.group(1))
            rest = rest[sm.end():]
        if rest.strip():
            wrappers.append('@media %s' % rest.strip())
        for w in reversed(wrappers):
            body = '%s{\n%s\n}' % (w, body)
        return body
    return IMPORT_RE.sub(repl, css)

out = bundle(sys.argv[2])
if '@import' in COMMENT_RE.sub('', out):
    sys.exit('bundle.py: unresolved @import left in output of ' + sys.argv[2])
with open(sys.argv[3], 'w', encoding='utf-8', newline='') as f:
    f.write(out)
PY

python3 "$WORK/bundle.py" "$WORK/node_modules" "$CSS_ENTRY"   "$WORK/designsystemet.css"
python3 "$WORK/bundle.py" "$WORK/node_modules" "$THEME_ENTRY" "$WORK/theme.css"

# Warn (do not fail) about font/asset URLs that would need network access.
for f in designsystemet.css theme.css; do
  if grep -oE 'url\(\s*["'"'"']?[^"'"'"' )]+' "$WORK/$f" | grep -v 'url(\s*["'"'"']\?data:' >/dev/null; then
    echo "WARNING: $f references non-data: URLs (fonts/images) that are not vendored:" >&2
    grep -oE 'url\(\s*["'"'"']?[^"'"'"' )]+' "$WORK/$f" | grep -v 'data:' | sort -u >&2
  fi
done

CSS_V="$(node -p "require('$CSS_PKG/package.json').version")"
THEME_V="$(node -p "require('$THEME_PKG/package.json').version")"

{
  echo "Vendored from npm into this directory by refresh.sh."
  echo
  for pkg in "$CSS_PKG" "$THEME_PKG"; do
    name="$(node -p "require('$pkg/package.json').name")"
    ver="$(node -p "require('$pkg/package.json').version")"
    lic="$(node -p "require('$pkg/package.json').license")"
    echo "================================================================================"
    echo "$name $ver ($lic) - https://github.com/digdir/designsystemet"
    echo "================================================================================"
    echo
    lf="$(ls "$pkg"/LICEN[CS]E* 2>/dev/null | head -n1 || true)"
    if [ -n "$lf" ]; then
      cat "$lf"
    else
      cat <<MIT
MIT License

Copyright Digitaliseringsdirektoratet (Digdir)

Permission is hereby granted, free of charge, to any person obtaining a copy of this software and associated documentation files (the "Software"), to deal in the Software without restriction, including without limitation the rights to use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies of the Software, and to permit persons to whom the Software is furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
MIT
    fi
    # make sure each licence ends with a newline before the next block
    [ -n "$lf" ] && [ -n "$(tail -c1 "$lf")" ] && echo
    echo
  done
} > "$WORK/LICENSE"

printf '@digdir/designsystemet-css %s\n@digdir/designsystemet-theme %s\n' "$CSS_V" "$THEME_V" > "$WORK/VERSION"

cp "$WORK/designsystemet.css" "$WORK/theme.css" "$WORK/LICENSE" "$WORK/VERSION" "$DEST/"
echo "Updated $DEST:"
( cd "$DEST" && wc -c designsystemet.css theme.css LICENSE VERSION && cat VERSION )
