'use strict';
// Starts a real xos server for a test file: fresh data folder, free loopback port, fixed root keys.
// The guide's client is then configured exactly as the guide writes it (endpoint http://localhost:PORT,
// virtual-hosted addressing), with only an http.Agent that resolves <bucket>.localhost to 127.0.0.1.
process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE = '1';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const AWS = require('aws-sdk');

const ACCESS_KEY = 'XOSNODETESTROOTKEY01';
const SECRET_KEY = 'node-test-root-secret-000000000000000000';
const repo = path.resolve(__dirname, '..', '..', '..');

function serverDll() {
  if (process.env.XOS_DLL) return process.env.XOS_DLL;
  const candidates = ['Release', 'Debug']
    .map((c) => path.join(repo, 'src', 'Xos.Server', 'bin', c, 'net10.0', 'xos.dll'))
    .filter((p) => fs.existsSync(p))
    .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
  if (candidates.length === 0) throw new Error('xos.dll not found: run dotnet build first, or set XOS_DLL');
  return candidates[0];
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

const agent = new http.Agent({
  keepAlive: true,
  lookup: (hostname, options, cb) =>
    options && options.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4),
});

async function startServer(extraEnv = {}) {
  const port = await freePort();
  const data = fs.mkdtempSync(path.join(os.tmpdir(), 'xos-node-'));
  const child = spawn('dotnet', [serverDll(), 'server', '--data', data, '--address', `127.0.0.1:${port}`], {
    env: { ...process.env, XOS_ROOT_ACCESS_KEY: ACCESS_KEY, XOS_ROOT_SECRET_KEY: SECRET_KEY, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  const deadline = Date.now() + 60000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`xos exited during start-up:\n${output}`);
    const ok = await new Promise((resolve) => {
      http.get(`http://127.0.0.1:${port}/health/ready`, (res) => { res.resume(); resolve(res.statusCode === 200); })
        .on('error', () => resolve(false));
    });
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`xos did not become ready:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const endpoint = `http://localhost:${port}`;
  return {
    port,
    endpoint,
    data,
    output: () => output,
    // The guide's initialisation, with the test-only DNS agent.
    client(options = {}) {
      return new AWS.S3({
        credentials: options.credentials || { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
        endpoint,
        httpOptions: { agent },
        ...(options.signatureVersion ? { signatureVersion: options.signatureVersion } : {}),
      });
    },
    // `xos admin` on this server's data folder, as the administrator runs it.
    admin(...args) {
      return require('node:child_process').execFileSync('dotnet', [serverDll(), 'admin', '--data', data, ...args], {
        env: { ...process.env, XOS_ROOT_ACCESS_KEY: ACCESS_KEY, XOS_ROOT_SECRET_KEY: SECRET_KEY },
      }).toString();
    },
    sts(credentials = { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY }) {
      return new AWS.STS({ ...credentials, endpoint, region: 'ctyun', httpOptions: { agent } });
    },
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((resolve) => {
          const t = setTimeout(() => { child.kill('SIGKILL'); resolve(); }, 10000);
          child.on('exit', () => { clearTimeout(t); resolve(); });
        });
      }
      fs.rmSync(data, { recursive: true, force: true });
    },
  };
}

let counter = 0;
function bucketName(hint) {
  counter += 1;
  return `${hint}-${process.pid}-${counter}-${Math.random().toString(36).slice(2, 8)}`;
}

// Plain HTTP request to a URL (for presigned URLs and anonymous access), resolving names to 127.0.0.1.
function request(url, { method = 'GET', headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

module.exports = { startServer, bucketName, request, agent, ACCESS_KEY, SECRET_KEY, AWS };
