// ts-bench.mjs: the TypeScript SDK's side of make bench.
//
//   node ts-bench.mjs workload=W n=N typed=0|1 inflight=K sleep_us=U \
//       report=FILE
//
// BENCH_TS_SDK names the folder of @anthropic-ai/claude-agent-sdk and
// BENCH_MOCK the mock CLI, which the SDK runs directly since it is not
// a .js file.  One workload runs through query(), and one JSON line
// goes to stdout: {"ok":true,"v":[...],"rss_kb":N,"node":"v20.x"}, with
// v as bench.c reads it for the workload's row.

import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const args = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const i = a.indexOf('=');
    return [a.slice(0, i), a.slice(i + 1)];
  }),
);

function finish(result) {
  const line = JSON.stringify({
    ...result,
    rss_kb: process.resourceUsage().maxRSS,
    node: process.version,
  });
  process.stdout.write(line + '\n', () => process.exit(0));
}

// A hung run reports itself rather than holding up the whole bench.
setTimeout(() => finish({ ok: false, why: 'timed out' }), 200000).unref();

const sdk = await import(
  pathToFileURL(join(process.env.BENCH_TS_SDK, 'sdk.mjs')).href
);

const env = {
  ...process.env,
  BENCH_WORKLOAD: args.workload,
  BENCH_REPORT: args.report,
};
if (Number(args.n) > 0) env.BENCH_N = args.n;
if (Number(args.inflight) > 0) env.BENCH_INFLIGHT = args.inflight;

const sleepMs = Number(args.sleep_us) / 1000;
const allow = async (toolName, input) => ({
  behavior: 'allow',
  updatedInput: input,
});
const allowLater = async (toolName, input) => {
  await new Promise((resolve) => setTimeout(resolve, sleepMs));
  return { behavior: 'allow', updatedInput: input };
};

const options = {
  pathToClaudeCodeExecutable: process.env.BENCH_MOCK,
  env,
  stderr: () => {},
};
if (args.workload === 'control') {
  options.canUseTool = sleepMs > 0 ? allowLater : allow;
}

const typed = args.typed === '1';

// Sessions opened one after the other for startup, as bench.h says.
const STARTS = 11;

async function startup() {
  const ms = [];
  for (let i = 0; i < STARTS; i++) {
    const t0 = performance.now();
    let first = 0;
    for await (const m of sdk.query({ prompt: 'go', options })) {
      if (!first) first = performance.now();
    }
    ms.push(first - t0);
  }
  ms.sort((a, b) => a - b);
  return { ok: true, v: [ms[STARTS >> 1]] };
}

async function run() {
  if (args.workload === 'startup') {
    try {
      return await startup();
    } catch (e) {
      return { ok: false, why: String(e && e.message ? e.message : e) };
    }
  }
  let messages = 0;
  let chars = 0;
  let tFirst = 0;
  let tResult = 0;
  try {
    for await (const m of sdk.query({ prompt: 'go', options })) {
      if (!tFirst) tFirst = performance.now();
      messages++;
      if (typed && m.type === 'assistant') {
        for (const block of m.message.content) {
          if (block.type === 'text') chars += block.text.length;
        }
      }
      if (m.type === 'result') tResult = performance.now();
    }
  } catch (e) {
    return { ok: false, why: String(e && e.message ? e.message : e) };
  }
  let report;
  try {
    report = JSON.parse(readFileSync(args.report, 'utf8'));
    rmSync(args.report);
  } catch (e) {
    return { ok: false, why: 'no report from the mock' };
  }
  if (args.workload === 'control') {
    if (report.errors !== 0) {
      return { ok: false, why: 'the mock got answers that are not allows' };
    }
    return { ok: true, v: [report.rps, report.p50_us, report.p99_us] };
  }
  if (messages !== report.messages) {
    return { ok: false, why: `${messages} messages, not ${report.messages}` };
  }
  const seconds = (tResult - tFirst) / 1000;
  return {
    ok: true,
    v: [report.bytes / 1e6 / seconds, messages / seconds, chars],
  };
}

finish(await run());
