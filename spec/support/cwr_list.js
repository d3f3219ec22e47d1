// Lists every computer with the npm package connectwise-rest, written as its
// README shows: AutomateAPI with an integrator login and the documented
// clientId option (sent as the ClientId header of its data calls), then
// paginate(ComputersAPI.getComputerList, {startPage, pageSize}, params).
// The package speaks https only: NODE_EXTRA_CA_CERTS names the CA to trust,
// NODE_PATH the node_modules that holds the package (spec/cwr_spec.lua).
//   node spec/support/cwr_list.js https://127.0.0.1:PORT
// Prints one JSON line per record, {"Id":..,"ComputerName":..}, in the order
// paginate returns them; on an error, its status and message on stderr, exit 1.
'use strict';

const { AutomateAPI } = require('connectwise-rest');

const url = new URL(process.argv[2]);

const cwa = new AutomateAPI({
  companyId: 'spec',
  serverUrl: url.host,
  clientId: 'spec-client-id',
  username: 'integrator',
  password: 'integrator-pass',
  logger: () => {},
});

cwa.paginate(cwa.ComputersAPI.getComputerList, { startPage: 1, pageSize: 1000 }, {})
  .then((records) => {
    const lines = records.map((rec) => JSON.stringify({ Id: rec.Id, ComputerName: rec.ComputerName }));
    process.stdout.write(lines.length ? `${lines.join('\n')}\n` : '');
  })
  .catch((err) => {
    const detail = err && err.data !== undefined ? ` ${JSON.stringify(err.data)}` : '';
    console.error(`connectwise-rest: ${(err && err.status) || ''} ${(err && err.message) || err}${detail}`);
    process.exit(1);
  });
