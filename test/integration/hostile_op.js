#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE.
'use strict';
// A deliberately misbehaving OpenID Provider for the negative integration
// tests. It speaks just enough OIDC (discovery, jwks, authorize, token,
// userinfo) and, depending on the current mode, hands out an ID token that a
// relying party must refuse.
//
// Usage: node hostile_op.js [--port N] [--host H]
// Prints "HOSTILE READY <json>" on stdout once it listens.
//
//   POST /mode {"mode": "<mode>"}   switch the mode (GET /mode shows it)
//   POST /rp {"jwks": {...}}        the relying party's public keys (JWE modes)
//   GET  /_log                      what the relying party sent
//   POST /_log/clear
//
// Modes: valid (control), wrong-iss, wrong-aud, expired, bad-sig, alg-none,
// hs256-pubkey, nonce-mismatch, no-sub, state-mismatch, unknown-kid,
// iat-future, userinfo-sub-mismatch, token-500, access-denied.
// JWE modes (itsme profile; the ID token is encrypted to the RP's enc key
// posted to /rp, kid e1 unless said otherwise): jwe-valid (control),
// jwe-unknown-kid (to a key the RP does not have), jwe-alg-none (inner JWT
// unsigned), jwe-bad-sig (inner JWS signed by a key not in our JWKS),
// jwe-not-jws (plain JSON claims inside), jwe-retired-key (to kid e0),
// jwe-acr-basic (acr acr_basic whatever was asked).
// Client authentication: client_secret_basic, client_secret_post, or
// private_key_jwt (the assertion is not verified: not what these tests are about).

const http = require('node:http');
const path = require('node:path');
const crypto = require('node:crypto');
const { URL, URLSearchParams } = require('node:url');

// jose lives in the test OP's node_modules (one npm install for both)
const jose = require(require.resolve('jose', { paths: [path.join(__dirname, 'op')] }));

const MODES = [
  'valid', 'wrong-iss', 'wrong-aud', 'expired', 'bad-sig', 'alg-none', 'hs256-pubkey',
  'nonce-mismatch', 'no-sub', 'state-mismatch', 'unknown-kid', 'iat-future',
  'userinfo-sub-mismatch', 'token-500', 'access-denied',
  'jwe-valid', 'jwe-unknown-kid', 'jwe-alg-none', 'jwe-bad-sig', 'jwe-not-jws', 'jwe-retired-key',
  'jwe-acr-basic',
  // issue 8: two-aud (client + another party, azp = client), fractional-times
  // (exp/iat/nbf/auth_time with a fraction: valid), crlf-sub, legacy-sub
  // (itsme.sub names somebody else beside the real sub)
  'two-aud', 'fractional-times', 'crlf-sub', 'legacy-sub',
];

const ACR_BASIC = 'http://itsme.services/v2/claim/acr_basic';

const SUB = 'hostile-user-0001';
const USER = {
  name: 'Maxence Legrand',
  given_name: 'Maxence',
  family_name: 'Legrand',
  birthdate: '1981-04-24',
  nin: '81042419835',
  nin_type: 'PERSON',
  nin_issuing_country: 'BE',
};

function parseArgs(argv) {
  const o = { port: Number(process.env.HOSTILE_PORT || 0), host: process.env.HOSTILE_HOST || '127.0.0.1' };
  for (let i = 2; i < argv.length; i += 1) {
    if (argv[i] === '--port') o.port = Number(argv[++i]);
    else if (argv[i] === '--host') o.host = argv[++i];
    else { process.stderr.write(`hostile_op.js: unknown argument ${argv[i]}\n`); process.exit(2); }
  }
  return o;
}

const b64u = (buf) => Buffer.from(buf).toString('base64url');
const b64uJson = (obj) => b64u(JSON.stringify(obj));

function send(res, status, body, headers = {}) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': typeof body === 'string' ? 'text/plain' : 'application/json',
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(text);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > 1 << 20) { reject(new Error('body too large')); req.destroy(); } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

// client authentication: client_secret_basic or client_secret_post, any secret
function clientFrom(req, form) {
  const auth = req.headers.authorization || '';
  if (auth.startsWith('Basic ')) {
    const dec = Buffer.from(auth.slice(6), 'base64').toString('utf8');
    const i = dec.indexOf(':');
    if (i > 0 && dec.length > i + 1) {
      return { id: decodeURIComponent(dec.slice(0, i)), method: 'client_secret_basic' };
    }
    return null;
  }
  if (form.get('client_id') && form.get('client_secret')) {
    return { id: form.get('client_id'), method: 'client_secret_post' };
  }
  if (form.get('client_assertion_type') === 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'
      && form.get('client_assertion')) {
    try {
      const { sub } = jose.decodeJwt(form.get('client_assertion'));
      if (sub) return { id: sub, method: 'private_key_jwt' };
    } catch (e) { /* not a JWT: no client */ }
  }
  return null;
}

class HostileOP {
  constructor(keys) {
    this.keys = keys;
    this.mode = 'valid';
    this.codes = new Map();   // code -> {nonce, client_id, redirect_uri, code_challenge}
    this.tokens = new Map();  // access token -> client_id
    this.log = [];
    this.rpJwks = { keys: [] };
  }

  base(req) { return `http://${req.headers.host}`; }

  // issue 8 (3): under /prefix-tenant/ the OP names as its issuer the host
  // root with a '/' (a prefix of the discovery URL); tokens say the same
  issuer(req) { return req.prefixTenant ? `${this.base(req)}/` : this.base(req); }

  endpoint(req, name) { return `${this.base(req)}${req.prefixTenant ? '/prefix-tenant' : ''}/${name}`; }

  discovery(req) {
    const e = (name) => this.endpoint(req, name);
    return {
      issuer: this.issuer(req),
      authorization_endpoint: e('authorize'),
      token_endpoint: e('token'),
      userinfo_endpoint: e('userinfo'),
      jwks_uri: e('jwks'),
      end_session_endpoint: e('logout'),
      response_types_supported: ['code'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
      code_challenge_methods_supported: ['S256'],
      scopes_supported: ['openid', 'name', 'profile', 'date-of-birth', 'nin', 'address', 'email',
        'phone', 'nationality', 'place-of-birth', 'itsme-eid'],
      claims_supported: ['sub', ...Object.keys(USER)],
      claims_parameter_supported: true,
    };
  }

  authorize(req, res, url) {
    const q = url.searchParams;
    const redirectUri = q.get('redirect_uri');
    if (!redirectUri) return send(res, 400, { error: 'invalid_request', error_description: 'redirect_uri missing' });
    const back = new URL(redirectUri);
    const state = q.get('state');
    if (this.mode === 'access-denied') {
      back.searchParams.set('error', 'access_denied');
      back.searchParams.set('error_description', 'The end-user cancelled');
    } else {
      const code = b64u(crypto.randomBytes(24));
      this.codes.set(code, {
        nonce: q.get('nonce'),
        client_id: q.get('client_id'),
        redirect_uri: redirectUri,
        code_challenge: q.get('code_challenge'),
        mode: this.mode,
      });
      back.searchParams.set('code', code);
    }
    if (this.mode === 'state-mismatch') back.searchParams.set('state', `forged-${b64u(crypto.randomBytes(12))}`);
    else if (state !== null) back.searchParams.set('state', state);
    res.writeHead(302, { Location: back.toString(), 'Cache-Control': 'no-store' });
    return res.end();
  }

  async token(req, res, body) {
    const form = new URLSearchParams(body);
    if (this.mode === 'token-500') {
      return send(res, 500, { error: 'server_error', error_description: 'hostile OP: token endpoint is down' });
    }
    const client = clientFrom(req, form);
    if (!client) return send(res, 401, { error: 'invalid_client' });
    const entry = this.codes.get(form.get('code') || '');
    this.codes.delete(form.get('code') || '');
    if (!entry || entry.client_id !== client.id || entry.redirect_uri !== form.get('redirect_uri')) {
      return send(res, 400, { error: 'invalid_grant' });
    }
    if (entry.code_challenge) {
      const verifier = form.get('code_verifier') || '';
      const computed = b64u(crypto.createHash('sha256').update(verifier).digest());
      if (computed !== entry.code_challenge) {
        return send(res, 400, { error: 'invalid_grant', error_description: 'PKCE verification failed' });
      }
    }
    const accessToken = b64u(crypto.randomBytes(24));
    this.tokens.set(accessToken, client.id);
    const idToken = await this.idToken(this.issuer(req), client.id, entry.nonce, this.mode);
    return send(res, 200, { access_token: accessToken, token_type: 'Bearer', expires_in: 300, id_token: idToken });
  }

  async idToken(issuer, clientId, nonce, mode) {
    const now = Math.floor(Date.now() / 1000);
    let claims = {
      iss: issuer, sub: SUB, aud: clientId, iat: now, exp: now + 300, auth_time: now,
    };
    if (nonce !== null && nonce !== undefined) claims.nonce = nonce;
    if (mode !== 'userinfo-sub-mismatch') Object.assign(claims, USER);
    switch (mode) {
      case 'wrong-iss': claims.iss = 'https://evil.example.org'; break;
      case 'wrong-aud': claims.aud = 'some-other-client'; break;
      case 'expired': claims.iat = now - 3600; claims.auth_time = now - 3600; claims.exp = now - 1800; break;
      case 'nonce-mismatch': claims.nonce = `not-${nonce || 'a'}-nonce`; break;
      case 'no-sub': delete claims.sub; break;
      case 'iat-future': claims.iat = now + 3600; claims.auth_time = now + 3600; claims.exp = now + 3900; break;
      case 'jwe-acr-basic': claims.acr = ACR_BASIC; break;
      case 'two-aud': claims.aud = [clientId, 'partner-api']; claims.azp = clientId; break;
      case 'fractional-times':
        Object.assign(claims, { iat: now - 0.5, nbf: now - 1.25, auth_time: now - 2.5, exp: now + 300.5 });
        break;
      case 'crlf-sub': claims.sub = `${SUB}\r\nX-Injected: 1`; break;
      case 'legacy-sub': claims = { 'itsme.sub': 'somebody-else-0002', ...claims }; break;
      default: break;
    }
    if (mode.startsWith('jwe-')) return this.encryptedIdToken(claims, mode);
    return this.signedIdToken(claims, mode);
  }

  async signedIdToken(claims, mode) {
    const { main, other, publicPem } = this.keys;
    switch (mode) {
      case 'jwe-bad-sig':
      case 'bad-sig':
        return new jose.SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'h1', typ: 'JWT' }).sign(other);
      case 'unknown-kid':
        return new jose.SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'h2-not-published', typ: 'JWT' }).sign(other);
      case 'jwe-alg-none':
      case 'alg-none':
        return `${b64uJson({ alg: 'none', typ: 'JWT' })}.${b64uJson(claims)}.`;
      case 'hs256-pubkey': {
        const input = `${b64uJson({ alg: 'HS256', kid: 'h1', typ: 'JWT' })}.${b64uJson(claims)}`;
        const mac = crypto.createHmac('sha256', publicPem).update(input).digest();
        return `${input}.${b64u(mac)}`;
      }
      default:
        return new jose.SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'h1', typ: 'JWT' }).sign(main);
    }
  }

  // itsme: the signed ID token inside a JWE (RSA-OAEP-256, A128CBC-HS256,
  // cty JWT) encrypted to one of the RP's enc keys.
  async encryptedIdToken(claims, mode) {
    const inner = mode === 'jwe-not-jws' ? JSON.stringify(claims) : await this.signedIdToken(claims, mode);
    const alg = 'RSA-OAEP-256';
    let kid = mode === 'jwe-retired-key' ? 'e0' : 'e1';
    let key;
    if (mode === 'jwe-unknown-kid') {
      kid = 'e-unknown';
      ({ publicKey: key } = await jose.generateKeyPair(alg, { modulusLength: 2048 }));
    } else {
      const jwk = this.rpJwks.keys.find((k) => k.kid === kid && k.use === 'enc');
      if (!jwk) throw new Error(`no RP enc key ${kid} posted to /rp`);
      key = await jose.importJWK({ ...jwk, alg }, alg);
    }
    return new jose.CompactEncrypt(new TextEncoder().encode(inner))
      .setProtectedHeader({ alg, enc: 'A128CBC-HS256', kid, cty: 'JWT' })
      .encrypt(key);
  }

  userinfo(req, res) {
    const auth = req.headers.authorization || '';
    const token = auth.startsWith('Bearer ') ? auth.slice(7) : '';
    if (!this.tokens.has(token)) {
      return send(res, 401, { error: 'invalid_token' }, { 'WWW-Authenticate': 'Bearer error="invalid_token"' });
    }
    const sub = this.mode === 'userinfo-sub-mismatch' ? 'somebody-else-0002' : SUB;
    return send(res, 200, { sub, ...USER });
  }

  async handle(req, res) {
    const url = new URL(req.url, 'http://x');
    if (url.pathname.startsWith('/prefix-tenant/')) {
      req.prefixTenant = true;
      url.pathname = url.pathname.slice('/prefix-tenant'.length);
    }
    const body = req.method === 'POST' ? await readBody(req) : '';
    const entry = { method: req.method, path: url.pathname, mode: this.mode,
      auth: (req.headers.authorization || '').split(' ')[0] || null };
    if (!url.pathname.startsWith('/_log') && url.pathname !== '/mode') {
      this.log.push(entry);
      if (this.log.length > 500) this.log.shift();
    }
    switch (`${req.method} ${url.pathname}`) {
      case 'GET /.well-known/openid-configuration': return send(res, 200, this.discovery(req));
      case 'GET /jwks': return send(res, 200, { keys: [this.keys.publicJwk] });
      case 'GET /authorize': return this.authorize(req, res, url);
      case 'POST /token': return this.token(req, res, body);
      case 'GET /userinfo': case 'POST /userinfo': return this.userinfo(req, res);
      case 'GET /logout': return send(res, 200, 'logged out');
      case 'GET /mode': return send(res, 200, { mode: this.mode, modes: MODES });
      case 'POST /mode': {
        let mode;
        try { ({ mode } = JSON.parse(body)); } catch (e) { mode = undefined; }
        if (!MODES.includes(mode)) return send(res, 400, { error: `unknown mode ${mode}`, modes: MODES });
        this.mode = mode;
        return send(res, 200, { mode });
      }
      case 'POST /rp': {
        let jwks;
        try { ({ jwks } = JSON.parse(body)); } catch (e) { jwks = undefined; }
        if (!jwks || !Array.isArray(jwks.keys)) return send(res, 400, { error: 'want {"jwks": {"keys": [...]}}' });
        this.rpJwks = jwks;
        return send(res, 200, { keys: jwks.keys.length });
      }
      case 'GET /_log': return send(res, 200, this.log);
      case 'POST /_log/clear': this.log.length = 0; return send(res, 200, { cleared: true });
      default: return send(res, 404, { error: 'not_found' });
    }
  }
}

async function makeKeys() {
  const opts = { modulusLength: 2048, extractable: true };
  const { privateKey: main, publicKey } = await jose.generateKeyPair('RS256', opts);
  const { privateKey: other } = await jose.generateKeyPair('RS256', opts);
  const publicJwk = { ...(await jose.exportJWK(publicKey)), kid: 'h1', use: 'sig', alg: 'RS256' };
  const publicPem = await jose.exportSPKI(publicKey);
  return { main, other, publicJwk, publicPem };
}

async function main() {
  const opts = parseArgs(process.argv);
  const op = new HostileOP(await makeKeys());
  const server = http.createServer((req, res) => {
    op.handle(req, res).catch((err) => {
      process.stderr.write(`hostile_op.js: ${err.stack}\n`);
      if (!res.headersSent) send(res, 500, { error: 'server_error' });
    });
  });
  server.listen(opts.port, opts.host, () => {
    const { port } = server.address();
    process.stdout.write(`HOSTILE READY ${JSON.stringify({ port, issuer: `http://${opts.host}:${port}` })}\n`);
  });
  const stop = () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err) => { process.stderr.write(`hostile_op.js: ${err.stack}\n`); process.exit(1); });
