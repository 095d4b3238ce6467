#!/usr/bin/env bash
# Regenerate each addon's README.rst and static/description/index.html from
# its readme/ fragments and manifest with OCA's own oca-gen-addon-readme,
# as the pre-commit hook does: the OCA/maintainer-tools commit pinned in
# .pre-commit-config.yaml, with the hook's arguments.  Commit the result.
#
#   tools/gen_addon_readmes.sh
#
# Needs pandoc (apt-get install pandoc) and pypandoc (pip install pypandoc),
# and one of: oca-gen-addon-readme on PATH; MAINTAINER_TOOLS=<a checkout of
# OCA/maintainer-tools at the pinned commit>; or access to GitHub, from which
# the pinned commit is then pip-installed.
set -euo pipefail
cd "$(dirname "$0")/.."
config=.pre-commit-config.yaml
rev=$(sed -n '\#repo: https://github.com/oca/maintainer-tools$#{n;s/^ *rev: //p;}' $config)
# the hook's arguments, one "- --arg" line each under "id: oca-gen-addon-readme"
mapfile -t args < <(sed -n '/id: oca-gen-addon-readme$/,/- id:/{s/^ *- \(--.*\)$/\1/p;}' $config)
[[ ${#args[@]} -gt 0 && -n $rev ]] || { echo "hook not found in $config" >&2; exit 1; }

if [[ -n ${MAINTAINER_TOOLS:-} ]]; then
    gen=(env "PYTHONPATH=$MAINTAINER_TOOLS" python3 -m tools.gen_addon_readme)
elif command -v oca-gen-addon-readme >/dev/null; then
    gen=(oca-gen-addon-readme)
else
    python3 -m pip install --quiet \
        "oca-maintainers-tools @ git+https://github.com/OCA/maintainer-tools@$rev"
    gen=(oca-gen-addon-readme)
fi
echo "+ ${gen[*]} ${args[*]}"
"${gen[@]}" "${args[@]}"
