const { src, dest, series } = require('gulp');

// tsc emits only JavaScript; n8n also needs each node's icons and codex file next to it in dist.
function copyNodeAssets() {
  return src(['nodes/**/*.svg', 'nodes/**/*.node.json', 'credentials/**/*.svg'], {
    base: '.',
    encoding: false,
  }).pipe(dest('dist'));
}

exports['build:assets'] = series(copyNodeAssets);
