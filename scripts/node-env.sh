# Source this file (`. scripts/node-env.sh`) to get a supported Node.js (>= 22.12) on PATH.
# When the machine's own node is older, Node 24 LTS is installed from the npm registry's
# `node` package into .tools/node (inside the project), never over the system Node.
AOS_NODE_VERSION="${AOS_NODE_VERSION:-24.21.0}"
_aos_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

_aos_node_ok() {
  command -v node >/dev/null 2>&1 || return 1
  node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=12)?0:1)'
}

if ! _aos_node_ok; then
  # npm finds its global npmrc (registry, CA file) next to the node that runs it; keep the
  # machine's one when that node becomes ours.
  if [ -z "${npm_config_globalconfig:-}" ] && command -v npm >/dev/null 2>&1; then
    npm_config_globalconfig="$(npm config get globalconfig 2>/dev/null)" && export npm_config_globalconfig
  fi
  _aos_tools="$_aos_root/.tools/node"
  if [ ! -x "$_aos_tools/node_modules/.bin/node" ] || \
     [ "$("$_aos_tools/node_modules/.bin/node" --version 2>/dev/null)" != "v$AOS_NODE_VERSION" ]; then
    echo "node-env: system node is $(node --version 2>/dev/null || echo missing); installing Node $AOS_NODE_VERSION into .tools/node" >&2
    mkdir -p "$_aos_tools"
    # The `node` package's preinstall fetches the platform binary package from the registry.
    printf '{"private":true,"allowScripts":{"node":true}}\n' > "$_aos_tools/package.json"
    npm install --prefix "$_aos_tools" --no-audit --no-fund --loglevel=error "node@$AOS_NODE_VERSION" >&2 || return 1
  fi
  export PATH="$_aos_tools/node_modules/.bin:$PATH"
fi
unset -f _aos_node_ok
unset _aos_root _aos_tools
