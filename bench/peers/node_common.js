// Peer: a Node.js client in the common style of Automate integrations:
// fetch, log in once, sequential pages of 250 with a 100 ms pause between
// pages, retry on 429 after Retry-After, exponential backoff on 5xx (5 tries).
//   node bench/peers/node_common.js URL [PAGE_SIZE]   (PAGE_SIZE defaults to 250)
// Prints "count N unique N sum S", then "listing SECONDS" (the loop after the
// login, the span cwa.lua reports). Env: BENCH_CONDITION, BENCH_FIELDS (sent as
// includeFields on every page request when set, e.g. Id); https: NODE_EXTRA_CA_CERTS.
'use strict';

const base = `${process.argv[2]}/cwa/api/v1`;
const pageSize = Number(process.argv[3] || 250);
const condition = process.env.BENCH_CONDITION || 'Id > 0';
const fields = process.env.BENCH_FIELDS;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function call(url, options) {
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(url, options);
    if (res.ok) return res.json();
    const retryable = res.status === 429 || res.status >= 500;
    if (!retryable || attempt >= 5) {
      throw new Error(`HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`);
    }
    await res.arrayBuffer();
    if (res.status === 429) {
      await sleep(Number(res.headers.get('retry-after') || 1) * 1000);
    } else {
      await sleep(1000 * 2 ** (attempt - 1));
    }
  }
}

async function main() {
  const login = await call(`${base}/apitoken`, {
    method: 'POST',
    headers: { ClientId: 'bench', 'Content-Type': 'application/json' },
    body: JSON.stringify({ UserName: 'integrator', Password: 'integrator-pass' }),
  });
  const headers = { ClientId: 'bench', Accept: 'application/json', Authorization: `Bearer ${login.AccessToken}` };
  const t0 = performance.now();
  let count = 0;
  let sum = 0;
  const seen = new Set();
  for (let page = 1; ; page++) {
    const params = new URLSearchParams({ page: String(page), pageSize: String(pageSize), condition });
    if (fields) params.set('includeFields', fields);
    const records = await call(`${base}/Computers?${params}`, { headers });
    for (const rec of records) {
      count += 1;
      sum += rec.Id;
      seen.add(rec.Id);
    }
    if (records.length < pageSize) break;
    await sleep(100);
  }
  const elapsed = (performance.now() - t0) / 1000;
  console.log(`count ${count} unique ${seen.size} sum ${sum}`);
  console.log(`listing ${elapsed.toFixed(4)}`);
}

main().catch((err) => {
  console.error(err.message || err);
  process.exit(1);
});
