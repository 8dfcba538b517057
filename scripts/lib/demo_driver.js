// Drives the demo: a private D-Bus bus, a real LwM2M server (coap-shepherd, via the
// remote-controlled peer in tests/interop), lwm2md, and an example provider publishing a
// temperature sensor over D-Bus. The server reads, writes and executes; then everything stops.
// Every child is killed on exit, Ctrl-C included. Usage: node demo_driver.js BUILD_DIR
'use strict';

const { spawn } = require('child_process');
const dgram = require('dgram');
const fs = require('fs');
const os = require('os');
const path = require('path');
const readline = require('readline');

const ROOT = path.resolve(__dirname, '..', '..');
const BUILD = path.resolve(process.argv[2] || path.join(ROOT, 'build-demo'));
const children = [];
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'lwm2md-demo-'));
const say = (...a) => console.log('demo:', ...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function start(name, cmd, args, opts = {}) {
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], ...opts });
  child.label = name;
  children.push(child);
  child.on('exit', (code, signal) => { child.exited = { code, signal }; });
  return child;
}

function prefixLines(child, prefix, stream = child.stdout) {
  readline.createInterface({ input: stream }).on('line', (l) => console.log(`${prefix} ${l}`));
}

function cleanup() {
  for (const c of children) if (!c.exited) { try { c.kill('SIGKILL'); } catch (e) { /* gone */ } }
  fs.rmSync(work, { recursive: true, force: true });
}
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { say(`${sig}, stopping`); process.exit(130); });

function freeUdpPort() {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    s.on('error', reject);
    s.bind(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

async function startBus() {
  const bus = start('dbus-daemon', 'dbus-daemon', ['--session', '--nofork', '--print-address=1']);
  const address = await new Promise((resolve, reject) => {
    readline.createInterface({ input: bus.stdout }).once('line', resolve);
    bus.on('exit', () => reject(new Error('dbus-daemon exited')));
  });
  return address.trim();
}

/// The peer's JSON-line protocol: events, and replies matched by id.
function peerClient(peer) {
  const waiters = [];
  const events = [];
  let nextId = 1;
  readline.createInterface({ input: peer.stdout }).on('line', (line) => {
    let msg;
    try { msg = JSON.parse(line); } catch (e) { return; }
    events.push(msg);
    for (const w of waiters.slice()) if (w.match(msg)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(msg); }
  });
  const waitFor = (match, ms, what) => new Promise((resolve, reject) => {
    const old = events.find((e) => match(e) && !e.seen);
    if (old) { old.seen = true; return resolve(old); }
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
    waiters.push({ match: (m) => { if (match(m)) { m.seen = true; return true; } return false; },
      resolve: (m) => { clearTimeout(timer); resolve(m); } });
  });
  return {
    event: (name, ms = 20000) => waitFor((m) => m.event === name, ms, `server event '${name}'`),
    command: (cmd, ms = 20000) => {
      const id = nextId++;
      peer.stdin.write(JSON.stringify({ id, ep: 'demo-gw', ...cmd }) + '\n');
      return waitFor((m) => m.id === id, ms, `reply to ${cmd.op}`);
    },
  };
}

async function main() {
  const lwm2md = path.join(BUILD, 'daemon', 'app', 'lwm2md');
  const provider = path.join(BUILD, 'dbus', 'examples', 'lwm2md-example-temperature');
  for (const f of [lwm2md, provider]) if (!fs.existsSync(f)) throw new Error(`${f} is not built`);

  const address = await startBus();
  say(`private D-Bus bus at ${address}`);

  const port = await freeUdpPort();
  const peerProc = start('coap-shepherd', 'node', [path.join(ROOT, 'tests', 'interop', 'shepherd_peer.js')],
    { env: { ...process.env, PORT: String(port), RUN_SECS: '90' } });
  const peer = peerClient(peerProc);
  await peer.event('ready');
  say(`LwM2M server (coap-shepherd from npm) listening on coap://127.0.0.1:${port}`);

  const config = path.join(work, 'lwm2md.toml');
  fs.writeFileSync(config, [
    'endpoint = "demo-gw"',
    'log_level = "info"',
    '[device]', 'manufacturer = "lwm2md demo"', 'model = "GW-DEMO"', 'serial = "0001"', 'firmware_version = "0.1.0"',
    '[[server]]', `uri = "coap://127.0.0.1:${port}"`, 'short_id = 1', 'lifetime = 60', 'version = "1.1"', ''].join('\n'));
  const daemon = start('lwm2md', lwm2md, ['--config', config, '--bus-address', address, '--state-dir', path.join(work, 'state')]);
  prefixLines(daemon, '  [lwm2md]', daemon.stderr);
  const reg = await peer.event('register');
  say(`server saw Register: ep=${reg.ep} lwm2m=${reg.version} objects=${reg.objects.join(' ')}`);
  await peer.event('online');

  const sensor = start('provider', provider, ['--bus-address', address, '--seconds', '25', '--interval-ms', '1000']);
  prefixLines(sensor, '  [provider]');
  const upd = await peer.event('update');
  say(`server saw Update: ${upd.payload}`);

  for (let i = 0; i < 4; i++) {
    const r = await peer.command({ op: 'read', path: '/3303/0/5700', format: 'tlv' });
    say(`server READ /3303/0/5700 (TLV) -> ${r.status} ${r.value} Cel`);
    await sleep(1000);
  }
  const inst = await peer.command({ op: 'read', path: '/3303/0', format: 'tlv' });
  say(`server READ /3303/0 (TLV) -> ${inst.status} ${JSON.stringify(inst.value)}`);
  const txt = await peer.command({ op: 'read', path: '/3/0/0', format: 'text' });
  say(`server READ /3/0/0 (text) -> ${txt.status} "${txt.value}"`);
  const w = await peer.command({ op: 'write', path: '/3303/0/5750', value: 'greenhouse', format: 'tlv' });
  say(`server WRITE /3303/0/5750 "greenhouse" -> ${w.status}`);
  const x = await peer.command({ op: 'execute', path: '/3303/0/5605' });
  say(`server EXECUTE /3303/0/5605 (reset min/max) -> ${x.status}`);
  await sleep(500);

  sensor.kill('SIGTERM');
  const gone = await peer.event('update');
  say(`provider left the bus; server saw Update: ${gone.payload}`);

  daemon.kill('SIGTERM');
  await peer.event('deregister');
  say('lwm2md de-registered on SIGTERM');
  await new Promise((r) => (daemon.exited ? r() : daemon.on('exit', r)));
  say(`lwm2md exited with ${daemon.exited.code}; demo done`);
  return daemon.exited.code === 0 ? 0 : 1;
}

const overall = setTimeout(() => { say('demo took too long, stopping'); process.exit(1); }, 120000);
main().then((code) => { clearTimeout(overall); process.exit(code); })
  .catch((e) => { say(`failed: ${e.message}`); process.exit(1); });
