#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// Starts @20minutes/s3rver (an S3 API that checks SigV4 signatures) on 127.0.0.1 for the tests.
// usage: node s3rver.js DIR READY_FILE [BUCKET...]
// Listens on a free port chosen by the kernel and writes it to READY_FILE once it accepts
// requests (the harness waits for that file). Credentials: S3RVER / S3RVER. Virtual-hosted
// requests work for host names <bucket>.s3.localhost. S3RVER_DIE_ON: see below.
'use strict';
const fs = require('fs');
const S3rver = require('@20minutes/s3rver');

const [dir, readyFile, ...buckets] = process.argv.slice(2);
if (!dir || !readyFile) {
  console.error('usage: s3rver.js DIR READY_FILE [BUCKET...]');
  process.exit(2);
}
const server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  directory: dir,
  silent: true,
  serviceEndpoint: 'localhost',
  configureBuckets: buckets.map((name) => ({ name })),
});
server.run().then(
  (address) => {
    // Fault injection: S3RVER_DIE_ON=<text> kills the server (as a crash would) when a request
    // whose URL contains <text> arrives, e.g. to interrupt a release midway.
    const dieOn = process.env.S3RVER_DIE_ON;
    if (dieOn) {
      server.httpServer.prependListener('request', (req) => {
        if (req.url.includes(dieOn) && req.method === 'PUT') process.kill(process.pid, 'SIGKILL');
      });
    }
    fs.writeFileSync(readyFile + '.tmp', String(address.port));
    fs.renameSync(readyFile + '.tmp', readyFile);
  },
  (err) => {
    console.error('s3rver: ' + err.message);
    process.exit(1);
  },
);
process.on('SIGTERM', () => server.close().finally(() => process.exit(0)));
