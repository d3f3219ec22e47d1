// Peer: the npm package connectwise-rest (AutomateAPI and its paginate), as
// its README shows, installed by .ci/npm-tools into bench/node_modules. It
// speaks https only, so the driver runs the simulator with --tls and sets
// NODE_EXTRA_CA_CERTS. retry: true is the package's own option (it retries
// network errors only).
// Its documented clientId option is sent as the ClientId header of every data
// call; its login call sends none, which real servers and the simulator accept.
//   node bench/peers/connectwise_rest.js https://127.0.0.1:PORT PAGE_SIZE
// Prints "count N unique N sum S". Env: BENCH_CONDITION, BENCH_FIELDS (sent as
// includeFields on every page request when set, e.g. Id: paginate passes the
// params object it is given, adding page and pageSize).
'use strict';

const path = require('path');
const modules = path.join(__dirname, '..', 'node_modules');
const { AutomateAPI } = require(path.join(modules, 'connectwise-rest'));

const url = new URL(process.argv[2]);
const pageSize = Number(process.argv[3] || 1000);
const condition = process.env.BENCH_CONDITION || 'Id > 0';
const params = { condition };
if (process.env.BENCH_FIELDS) params.includeFields = process.env.BENCH_FIELDS;

const cwa = new AutomateAPI({
  companyId: 'bench',
  serverUrl: url.host,
  clientId: 'bench',
  username: 'integrator',
  password: 'integrator-pass',
  retry: true,
  logger: () => {},
});

cwa.paginate(cwa.ComputersAPI.getComputerList, { startPage: 1, pageSize }, params)
  .then((records) => {
    let sum = 0;
    const seen = new Set();
    for (const rec of records) {
      sum += rec.Id;
      seen.add(rec.Id);
    }
    console.log(`count ${records.length} unique ${seen.size} sum ${sum}`);
  })
  .catch((err) => {
    console.error(err && (err.message || err.status) ? `${err.status || ''} ${err.message || ''}` : err);
    process.exit(1);
  });
