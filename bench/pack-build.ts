// `npm run bench:pack [-- OUT_DIR]`: the GPU pack, a folder (default .tmp/gpu-pack, ignored by git)
// that runs the onnxruntime-node benchmark on a Linux x64 machine with a GPU and nothing installed:
//
//   run.sh                                 unpacks into /tmp, finds Vulkan, runs (bench/pack-run.sh)
//   node.xz                                this Node's binary
//   lib/bench.mjs                          bench/pack-main.ts and the engine, bundled by esbuild
//   lib/dist/linux-x64/dawn.node.xz        the npm `webgpu` package's Dawn (names the adapter; runs onnxruntime-web)
//   lib/ort-web/*.xz                       onnxruntime-web's native-EP and JSEP builds (ORT_WEB_FILES)
//   bin/napi-v6/linux/x64/*.xz             onnxruntime-node's binding and libonnxruntime (WebGPU EP inside)
//   libvulkan1_*.deb                       Debian's Vulkan loader (apt-get download)
//   pytorch_reference.py                   the PyTorch peer, run by run.sh where CUDA PyTorch is
//
// The bundle finds its native parts relative to itself, which is why they sit where node_modules
// would put them. At most 60 MiB (the device machine's carry limit): the build fails above it.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { build, type Plugin } from 'esbuild';
import { ORT_WEB_FILES } from '../src/engine/runtime/web-node.ts';

export const PACK_LIMIT_BYTES = 60 * 2 ** 20;
const ROOT = path.resolve(import.meta.dirname, '..');
const require = createRequire(import.meta.url);
const packageDir = (name: string) => path.dirname(require.resolve(`${name}/package.json`));

export class PackError extends Error {
  override name = 'PackError';
}

function xz(from: string, to: string): void {
  fs.mkdirSync(path.dirname(to), { recursive: true });
  const r = spawnSync('xz', ['-6', '-T0', '-c', from], { maxBuffer: 2 ** 31 });
  if (r.error || r.status !== 0)
    throw new PackError(
      `xz failed on ${from}: ${r.error?.message ?? r.stderr.toString().trim()} (Debian/Ubuntu: apt-get install xz-utils)`,
    );
  fs.writeFileSync(to, r.stdout);
}

function vulkanDeb(dir: string): void {
  try {
    execFileSync('apt-get', ['download', 'libvulkan1'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    throw new PackError(
      `apt-get download libvulkan1 failed (the pack carries Debian's Vulkan loader; needs apt and its package lists): ${(e as Error).message.split('\n')[0]}`,
    );
  }
}

/**
 * onnxruntime-node requires its binding by a template literal, which esbuild would expand into every
 * platform's .node file (and has no loader for). Spelled as a join, the require stays a run-time one.
 */
const nativeBindingAtRunTime: Plugin = {
  name: 'native-binding-at-run-time',
  setup(b) {
    b.onLoad({ filter: /onnxruntime-node[\\/]dist[\\/]binding\.js$/ }, (args) => {
      const source = fs.readFileSync(args.path, 'utf8');
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the text of a template literal in onnxruntime-node's source
      const literal = '`../bin/napi-v6/${process.platform}/${process.arch}/onnxruntime_binding.node`';
      if (!source.includes(literal))
        throw new PackError(`onnxruntime-node's binding.js no longer requires ${literal}: update bench/pack-build.ts`);
      return {
        contents: source.replace(literal, "['..', 'bin', 'napi-v6', process.platform, process.arch, 'onnxruntime_binding.node'].join('/')"),
        loader: 'js',
      };
    });
  },
};

export interface Pack {
  dir: string;
  bytes: number;
  files: { path: string; bytes: number }[];
}

export async function buildPack(outDir: string): Promise<Pack> {
  if (process.platform !== 'linux' || process.arch !== 'x64')
    throw new PackError(`the GPU pack is built for linux-x64 machines, from one; this is ${process.platform}-${process.arch}`);
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.mkdirSync(path.join(outDir, 'lib'), { recursive: true });

  await build({
    entryPoints: [path.join(ROOT, 'bench/pack-main.ts')],
    outfile: path.join(outDir, 'lib/bench.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: true,
    logLevel: 'error',
    // bundled CommonJS (onnxruntime-node) requires its native binding relative to the bundle
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    plugins: [nativeBindingAtRunTime],
  });
  const ortBin = path.join(packageDir('onnxruntime-node'), 'bin/napi-v6/linux/x64');
  for (const f of ['libonnxruntime.so.1', 'onnxruntime_binding.node'])
    xz(path.join(ortBin, f), path.join(outDir, 'bin/napi-v6/linux/x64', `${f}.xz`));
  xz(path.join(packageDir('webgpu'), 'dist/linux-x64/dawn.node'), path.join(outDir, 'lib/dist/linux-x64/dawn.node.xz'));
  // onnxruntime-web exports its dist/ files by name, not its package.json
  const ortWeb = path.dirname(require.resolve(`onnxruntime-web/${ORT_WEB_FILES.jsep[2]}`));
  for (const f of Object.values(ORT_WEB_FILES).flat()) xz(path.join(ortWeb, f), path.join(outDir, 'lib/ort-web', `${f}.xz`));
  xz(process.execPath, path.join(outDir, 'node.xz'));
  vulkanDeb(outDir);
  fs.copyFileSync(path.join(ROOT, 'bench/pytorch_reference.py'), path.join(outDir, 'pytorch_reference.py'));
  fs.copyFileSync(path.join(ROOT, 'bench/pack-run.sh'), path.join(outDir, 'run.sh'));
  fs.chmodSync(path.join(outDir, 'run.sh'), 0o755);

  const files = (fs.readdirSync(outDir, { recursive: true }) as string[])
    .map((p) => ({ path: p, stat: fs.statSync(path.join(outDir, p)) }))
    .filter((f) => f.stat.isFile())
    .map((f) => ({ path: f.path, bytes: f.stat.size }));
  const bytes = files.reduce((s, f) => s + f.bytes, 0);
  if (bytes > PACK_LIMIT_BYTES)
    throw new PackError(
      `the pack is ${(bytes / 2 ** 20).toFixed(1)} MiB, over the ${PACK_LIMIT_BYTES / 2 ** 20} MiB a device machine can carry`,
    );
  return { dir: outDir, bytes, files };
}

if (process.argv[1] && path.resolve(process.argv[1]) === import.meta.filename) {
  const out = path.resolve(process.argv.slice(2).find((a) => a !== '--') ?? path.join(ROOT, '.tmp/gpu-pack'));
  try {
    const pack = await buildPack(out);
    for (const f of pack.files.sort((a, b) => b.bytes - a.bytes))
      console.log(`${(f.bytes / 2 ** 20).toFixed(2).padStart(7)} MiB  ${f.path}`);
    console.log(
      `GPU pack: ${out} (${(pack.bytes / 2 ** 20).toFixed(1)} MiB of ${PACK_LIMIT_BYTES / 2 ** 20}). Run it with: sh ${path.relative(process.cwd(), out) || '.'}/run.sh`,
    );
  } catch (e) {
    console.error(`bench:pack: ${(e as Error).message.split('\n')[0]}`);
    process.exitCode = 1;
  }
}
