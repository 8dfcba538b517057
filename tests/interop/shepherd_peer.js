// Remote-controlled LwM2M server peer built on coap-shepherd@0.2.11 (coap overridden to
// 0.23.1 in package.json). A test starts it, reads events on stdout and sends commands on
// stdin, one JSON object per line each way.
//
// Environment
//   PORT              UDP port on 127.0.0.1 (required; the libraries cannot bind port 0 and
//                     report it, so the caller picks a free one)
//   RUN_SECS          exit by itself after this many seconds (default 120)
//   CMD_TIMEOUT_SECS  a command without an answer by then replies with an error (default 30)
//   DEBUG=coap-shepherd*   library logs on stderr
//
// Events (stdout)
//   {"event":"ready","port":N,"server":"coap-shepherd"}
//   {"event":"register","ep":"..","lt":N,"version":"1.1","binding":"U","objects":["/1/0","/3/0",..],
//    "payload":"</1/0>,..","location":"/rd/1"[,"ignored":["Q"]]}
//       sent when the library answered 2.01. "ignored" lists query parameters the peer removed
//       before the library saw them (the library would crash on them).
//   {"event":"online","ep":".."}       the library finished its own TLV read of every
//       registered object; commands on an endpoint wait (up to 10 s) for this.
//   {"event":"update","ep":".."[,"lt":N][,"binding":".."][,"payload":".."]}   after 2.04
//   {"event":"rejected","kind":"register"|"update","ep":"..","code":"5.00"}   the library
//       refused it (an Update fails with 5.00 until the endpoint is "online")
//   {"event":"deregister","ep":".."}   De-register or lifetime expiry
//   {"event":"notify","ep":"..","path":"/3303/0/5700","value":<decoded>[,"raw":"hex"]}
//   {"event":"library-error","error":".."}   asynchronous library failure (not fatal)
//   {"event":"exit","reason":"run-secs"|"stdin-eof"|"quit"|"sigterm"}
//   {"event":"fatal","error":".."}     then exit 2 (bad start-up) or 3 (uncaught exception)
//
// Commands (stdin) and replies (stdout); every reply carries the command's "id"
//   {"id":1,"op":"read","ep":"..","path":"/3303/0/5700","format":"tlv"|"text"}
//       -> {"id":1,"status":"2.05","value":<decoded>,"raw":"hex","cf":11542}
//       "tlv" (default) is the library's own readReq (Accept TLV; value decoded into numbers,
//       strings, {"5700":21.5} for an instance, {"0":{"5700":21.5}} for an object, with the
//       library's resource names turned back into ids); "text" asks Accept text/plain.
//       A TLV reply also carries "decoded": the library's TLV decoder applied to "raw" alone
//       (same id keys), present even when readReq failed on its cache ("libraryError"), or
//       "decodeError". Resources its registry lacks (e.g. 5750) decode as hex strings.
//   {"id":2,"op":"write","ep":"..","path":"..","value":V,"format":"tlv"|"text"[,"raw":"hex"]}
//       -> {"id":2,"status":"2.04"}. "tlv" (default): the library encodes V ({"rid":v,..}
//       for an instance path); with "raw" the hex bytes are sent as they are.
//   {"id":3,"op":"execute","ep":"..","path":"/3/0/4"[,"args":"0='x'"|["a",1]]}
//       -> {"id":3,"status":"2.04"}. A string is sent verbatim, an array is encoded by the
//       library ('a',1), none sends no payload.
//   {"id":4,"op":"discover","ep":"..","path":"/3/0"}
//       -> {"id":4,"status":"2.05","value":<library's decoding>,"text":"</3/0>,..","raw":"hex"}
//   {"id":5,"op":"observe","ep":"..","path":".."} -> {"id":5,"status":"2.05","value":..}
//       then "notify" events
//   {"id":6,"op":"cancel","ep":"..","path":".."} -> {"id":6,"status":"2.05","sent":true}
//       (a GET with Observe=1 reaches the client)
//   {"id":7,"op":"write-attributes","ep":"..","path":"..","attrs":{"pmin":1,"pmax":30}}
//       -> {"id":7,"status":"2.04"}
//   {"id":8,"op":"list"} -> {"id":8,"endpoints":[{"ep":"..","location":"/rd/1","status":"online"}]}
//   {"id":9,"op":"quit"} -> {"id":9,"status":"bye"}, then exit 0
//   Any failure -> {"id":N,"error":"message"}. "status" is the CoAP code the client sent;
//   when the library failed after a response arrived the reply keeps "status" and adds
//   "libraryError". Commands run one at a time, in order. stdin EOF: finish queued
//   commands, then exit 0.
'use strict';

const path = require('path');
const common = require('./peer_common');

const { emit, errorText } = common;
const cfg = common.readConfig();
common.installProcessGuards(cfg.runSecs);

const SHEPHERD_DIR = path.dirname(require.resolve('coap-shepherd/package.json'));
const requireFromShepherd = (name) => require(require.resolve(name, { paths: [SHEPHERD_DIR] }));

// The library reads its config at require() time: point it at loopback and give it no
// database file (nedb keeps an in-memory store when it has no file name).
const shepherdConfig = require('coap-shepherd/lib/config');
shepherdConfig.port = cfg.port;
shepherdConfig.ip = common.HOST;
shepherdConfig.defaultDbPath = undefined;
shepherdConfig.defaultDbFolder = SHEPHERD_DIR; // exists, so nothing is created

// It asks the 'network' package for the machine's active interface and would use eth0's
// address for its own self-test request: keep everything on loopback.
requireFromShepherd('network').get_active_interface = (cb) =>
  cb(null, { name: 'lo', ip_address: common.HOST, mac_address: '00:00:00:00:00:00', gateway_ip: common.HOST });

// Registration payloads of LwM2M 1.1 carry attributes on object links ('</1>;ver=1.1').
// The library keeps them in the object key ('1>;ver=1.'), which its store rejects, and the
// client never comes online: drop attributes from every link except the root '</>' one.
const cutils = require('coap-shepherd/lib/components/cutils');
const origGetObjList = cutils.getObjListOfSo;
cutils.getObjListOfSo = (payload) =>
  origGetObjList(
    String(payload)
      .split(',')
      .map((link) => (link.trim().startsWith('</>') ? link.trim() : link.trim().split(';')[0]))
      .join(','),
  );

const coap = requireFromShepherd('coap');
common.installCapture(coap);

// Query parameters the library understands on Register/Update; any other one (e.g. the 1.1
// queue-mode flag 'Q') makes it assign to `false` in strict mode and crash.
const KNOWN_PARAMS = new Set(['ep', 'lt', 'lwm2m', 'mac', 'b']);
let cserver = null;

function toNumberIfNumeric(v) {
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : v;
}

function objectsOf(objList) {
  const out = [];
  for (const oid of Object.keys(objList || {})) {
    const iids = objList[oid];
    if (!iids || iids.length === 0) out.push('/' + oid);
    else for (const iid of iids) out.push(`/${oid}/${iid}`);
  }
  return out;
}

common.bindLoopback(coap, {
  before(req, rsp) {
    const { pathname, params } = common.splitUrl(req.url);
    const segs = pathname.split('/').filter((s) => s !== '');
    if (!cserver) return false;
    // The library dereferences the node before checking it exists on a DELETE, and its
    // non-standard lookup (any GET but its own self-test) throws without an 'ep'.
    const unknownDelete = req.method === 'DELETE' && !cserver._findByLocationPath(pathname);
    if (unknownDelete || (req.method === 'GET' && pathname !== '/test')) {
      rsp.code = '4.04';
      rsp.end();
      return true;
    }
    if (req.method !== 'POST') return false;
    const ignored = params.filter(([k]) => !KNOWN_PARAMS.has(k)).map(([k]) => k);
    if (ignored.length) {
      const kept = String(req.url).split('?')[1].split('&').filter((kv) => KNOWN_PARAMS.has(kv.split('=')[0]));
      req.url = pathname + (kept.length ? '?' + kept.join('&') : '');
    }
    const q = Object.fromEntries(params);
    const payload = req.payload && req.payload.length ? String(req.payload) : undefined;
    if (segs.length === 1 && segs[0] === 'rd' && !q.ep) {
      // It looks the endpoint up before validating it, and throws on a missing name.
      rsp.code = '4.00';
      rsp.end();
      emit({ event: 'rejected', kind: 'register', code: '4.00' });
      return true;
    }
    if (segs.length === 1) {
      req.peerInfo = { kind: 'register', ep: q.ep, lt: toNumberIfNumeric(q.lt), version: q.lwm2m, binding: q.b, payload, ignored };
    } else {
      const cnode = cserver._findByLocationPath(pathname);
      req.peerInfo = { kind: 'update', ep: cnode ? cnode.clientName : undefined, lt: toNumberIfNumeric(q.lt), binding: q.b, payload, ignored };
    }
    return false;
  },
  after(req, rsp) {
    const info = req.peerInfo;
    if (!info) return;
    const ok = info.kind === 'register' ? rsp.code === '2.01' : rsp.code === '2.04';
    if (!ok) {
      emit({ event: 'rejected', kind: info.kind, ep: info.ep, code: rsp.code });
    } else if (info.kind === 'register') {
      const cnode = cserver.find(info.ep);
      emit({
        event: 'register',
        ep: info.ep,
        lt: info.lt,
        version: info.version,
        binding: info.binding,
        objects: objectsOf(cnode && cnode.objList),
        payload: info.payload,
        location: cnode ? cnode.locationPath : undefined,
        ignored: info.ignored.length ? info.ignored : undefined,
      });
    } else {
      emit({
        event: 'update',
        ep: info.ep,
        lt: info.lt,
        binding: info.binding,
        payload: info.payload,
        ignored: info.ignored.length ? info.ignored : undefined,
      });
    }
  },
});

cserver = require('coap-shepherd');
const Coapdb = require('coap-shepherd/lib/components/coapdb');
cserver._coapdb = new Coapdb(undefined);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const ONLINE_WAIT_MS = 10000;

async function onlineNode(ep) {
  if (typeof ep !== 'string' || ep === '') throw new Error('"ep" (endpoint name) is required');
  const deadline = Date.now() + ONLINE_WAIT_MS;
  for (;;) {
    const cnode = cserver.find(ep);
    if (!cnode) throw new Error(`endpoint ${ep} is not registered`);
    if (cnode.status === 'online') return cnode;
    if (Date.now() >= deadline) {
      throw new Error(`endpoint ${ep} is registered but not online (coap-shepherd's reads of the registered objects did not succeed)`);
    }
    await sleep(100);
  }
}

// The library names resources after its object registry ('sensorValue'); give the
// caller numeric ids: {"5700":21.5} for an instance, {"0":{"5700":21.5}} for an object.
function renameRids(oid, inst) {
  if (!inst || typeof inst !== 'object' || Buffer.isBuffer(inst) || Array.isArray(inst)) return inst;
  return Object.fromEntries(Object.entries(inst).map(([k, v]) => [String(cutils.ridNumber(oid, k)), v]));
}

function numericKeys(p, value) {
  if (!value || typeof value !== 'object' || Buffer.isBuffer(value)) return value;
  const segs = common.parsePath(p);
  if (segs.length === 2) return renameRids(segs[0], value);
  if (segs.length === 1) {
    return Object.fromEntries(Object.entries(value).map(([iid, inst]) => [iid, renameRids(segs[0], inst)]));
  }
  return value;
}

// Sends a request of our own through the library (same socket, same decoding).
function direct(cnode, method, pathname, { payload, options } = {}) {
  return cserver.request({ hostname: cnode.ip, port: cnode.port, pathname, method, payload, options })
    .then((rsp) => ({ status: rsp.code, data: rsp.payload }));
}

// Builds a reply from what came off the wire (capture) and what the library made of it.
async function run(c, call, { withValue = false, withText = false, path = null } = {}) {
  let result;
  let libErr;
  try {
    result = await call();
  } catch (e) {
    libErr = e;
  }
  if (!c.code) {
    if (libErr) throw libErr;
    throw new Error('no response from the client');
  }
  const out = { status: c.code };
  if (withValue && c.code.startsWith('2.') && result && result.data !== undefined) {
    out.value = path ? numericKeys(path, result.data) : result.data;
  }
  if (withText && c.raw) out.text = c.raw.toString('utf8');
  if (c.raw && c.raw.length) out.raw = common.rawHex(c.raw);
  if (c.cf !== undefined) out.cf = c.cf;
  if (libErr) out.libraryError = errorText(libErr);
  return out;
}

function pathOf(cmd) {
  return '/' + common.parsePath(cmd.path).join('/');
}

function hexPayload(cmd) {
  if (cmd.raw === undefined) return undefined;
  if (typeof cmd.raw !== 'string' || !/^([0-9a-fA-F]{2})*$/.test(cmd.raw)) throw new Error('"raw" must be a hex string');
  return Buffer.from(cmd.raw, 'hex');
}

const handlers = {
  async read(cmd) {
    const p = pathOf(cmd);
    const format = cmd.format || 'tlv';
    if (format !== 'tlv' && format !== 'text') throw new Error('format must be "tlv" or "text"');
    const cnode = await onlineNode(cmd.ep);
    const c = common.beginCapture('GET', p);
    if (format === 'tlv') {
      const out = await run(c, () => cnode.readReq(p), { withValue: true, path: p });
      // The library's own TLV decoding of the bytes, apart from its cache: readReq fails
      // (libraryError, no value) when its cache lacks the instance or resource.
      if (out.cf === 11542 && out.raw) {
        try {
          out.decoded = numericKeys(p, cutils.decodeTlv(p, Buffer.from(out.raw, 'hex')));
        } catch (e) {
          out.decodeError = errorText(e);
        }
      }
      return out;
    }
    return run(c, () => direct(cnode, 'GET', p, { options: { Accept: 'text/plain' } }), { withValue: true, path: p });
  },

  async write(cmd) {
    const p = pathOf(cmd);
    const format = cmd.format || 'tlv';
    if (format !== 'tlv' && format !== 'text') throw new Error('format must be "tlv" or "text"');
    const raw = hexPayload(cmd);
    if (raw === undefined && cmd.value === undefined) throw new Error('"value" or "raw" is required');
    const cnode = await onlineNode(cmd.ep);
    const c = common.beginCapture('PUT', p);
    if (format === 'tlv' && raw === undefined) return run(c, () => cnode.writeReq(p, cmd.value));
    if (raw === undefined && (cmd.value === null || typeof cmd.value === 'object')) {
      throw new Error('a text write takes a string, number or boolean "value"');
    }
    const payload = raw !== undefined ? raw : Buffer.from(String(cmd.value), 'utf8');
    const cf = format === 'tlv' ? 'application/tlv' : 'text/plain';
    return run(c, () => direct(cnode, 'PUT', p, { payload, options: { 'Content-Format': cf } }));
  },

  async execute(cmd) {
    const p = pathOf(cmd);
    if (cmd.args !== undefined && typeof cmd.args !== 'string' && !Array.isArray(cmd.args)) {
      throw new Error('"args" must be a string or an array');
    }
    const cnode = await onlineNode(cmd.ep);
    const c = common.beginCapture('POST', p);
    if (typeof cmd.args === 'string') return run(c, () => direct(cnode, 'POST', p, { payload: Buffer.from(cmd.args, 'utf8') }));
    return run(c, () => cnode.executeReq(p, cmd.args || []));
  },

  async discover(cmd) {
    const p = pathOf(cmd);
    const cnode = await onlineNode(cmd.ep);
    const c = common.beginCapture('GET', p);
    return run(c, () => cnode.discoverReq(p), { withValue: true, withText: true });
  },

  async observe(cmd) {
    const p = pathOf(cmd);
    const cnode = await onlineNode(cmd.ep);
    const c = common.beginCapture('GET', p);
    return run(c, () => cnode.observeReq(p), { withValue: true, path: p });
  },

  async cancel(cmd) {
    const p = pathOf(cmd);
    const cnode = await onlineNode(cmd.ep);
    // The library closes its stream unchecked once the client answers: refuse unknown paths.
    if (!cnode._streamObservers[cutils.getKeyPath(p)]) throw new Error(`${p} is not observed`);
    const c = common.beginCapture('GET', p);
    return Object.assign(await run(c, () => cnode.cancelObserveReq(p)), { sent: true });
  },

  async 'write-attributes'(cmd) {
    const p = pathOf(cmd);
    if (!cmd.attrs || typeof cmd.attrs !== 'object' || Array.isArray(cmd.attrs)) throw new Error('"attrs" object is required');
    const cnode = await onlineNode(cmd.ep);
    const c = common.beginCapture('PUT', p);
    return run(c, () => cnode.writeAttrsReq(p, cmd.attrs));
  },

  async list() {
    return {
      endpoints: Object.values(cserver._registry).map((n) => ({
        ep: n.clientName,
        location: n.locationPath,
        status: n.status,
        lt: n.lifetime,
        objects: objectsOf(n.objList),
      })),
    };
  },
};

cserver.on('ind', (msg) => {
  try {
    switch (msg.type) {
      case 'devIncoming':
        emit({ event: 'online', ep: msg.cnode.clientName });
        break;
      case 'devLeaving':
        emit({ event: 'deregister', ep: typeof msg.cnode === 'string' ? msg.cnode : msg.cnode && msg.cnode.clientName });
        break;
      case 'devNotify': {
        const numPath = cutils.getNumPath(msg.data.path);
        const raw = common.lastNotifyRaw.get(numPath);
        emit({ event: 'notify', ep: msg.cnode.clientName, path: numPath, value: numericKeys(numPath, msg.data.value), raw: common.rawHex(raw) });
        break;
      }
      default:
        break;
    }
  } catch (e) {
    emit({ event: 'library-error', error: 'ind: ' + errorText(e) });
  }
});
cserver.on('error', (e) => emit({ event: 'library-error', error: errorText(e) }));
cserver.on('ready', () => {
  try {
    cserver.permitJoin(cfg.runSecs + 60);
    emit({ event: 'ready', port: cserver._server._sock.address().port, server: 'coap-shepherd' });
    common.startCommandLoop(handlers, cfg.cmdTimeoutSecs);
  } catch (e) {
    common.fatal('start: ' + errorText(e), 2);
  }
});
common.setStopper((done) => {
  cserver.stop(() => done());
});
common.whenPortFree(cfg.port, () =>
  cserver.start((err) => {
    if (err) common.fatal('start: ' + errorText(err), 2);
  }),
);
