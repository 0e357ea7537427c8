#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE.
// Local OpenID Provider for the mod_auth_itsme integration tests and the demo.
//
// node-oidc-provider 8 with a login that needs no screen: every authorization
// request is answered for the configured test account, and consent is granted
// for whatever the client asked.
//
// Usage: node op.js [--port N] [--host H] [--issuer URL] [--config FILE]
//   (or OP_PORT, OP_HOST, OP_ISSUER, OP_CONFIG in the environment)
// Prints one line "OP READY <json>" on stdout once it listens.
// See README.md beside this file for the configuration file.

import fs from 'node:fs';
import http from 'node:http';
import crypto from 'node:crypto';
import Provider from 'oidc-provider';
import * as jose from 'jose';

// --------------------------------------------------------------------------
// Command line

function parseArgs(argv) {
  const opts = {
    port: Number(process.env.OP_PORT || 9400),
    host: process.env.OP_HOST || '127.0.0.1',
    issuer: process.env.OP_ISSUER || '',
    config: process.env.OP_CONFIG || '',
  };
  for (let i = 2; i < argv.length; i += 1) {
    const [flag, inline] = argv[i].split('=', 2);
    const value = inline !== undefined ? inline : argv[i + 1];
    const take = () => { if (inline === undefined) i += 1; return value; };
    switch (flag) {
      case '--port': opts.port = Number(take()); break;
      case '--host': opts.host = take(); break;
      case '--issuer': opts.issuer = take(); break;
      case '--config': opts.config = take(); break;
      case '-h': case '--help':
        process.stdout.write('usage: node op.js [--port N] [--host H] [--issuer URL] [--config FILE]\n');
        process.exit(0);
        break;
      default:
        process.stderr.write(`op.js: unknown argument ${argv[i]}\n`);
        process.exit(2);
    }
  }
  if (!opts.issuer) opts.issuer = `http://${opts.host}:${opts.port}`;
  return opts;
}

// --------------------------------------------------------------------------
// Test accounts. Values are realistic (Signicat's itsme example user) and
// pass the Belgian check-digit rules: nin 810424-198-35 (97 - 810424198 mod 97
// = 35); eID card 591-2345678-29 (5912345678 mod 97 = 29).

const ITSME_CLAIM = 'http://itsme.services/v2/claim/';

const DEFAULT_ACCOUNTS = {
  'maxence': {
    sub: 'tXOq9614vLHkXBkEu3Jm0Qa7ZGQO02Fc98IPaHq6iRwK-ytA=',
    name: 'Maxence Legrand',
    given_name: 'Maxence',
    family_name: 'Legrand',
    gender: 'female',
    birthdate: '1981-04-24',
    locale: 'fr',
    email: 'test@itsme.be',
    email_verified: false,
    phone_number: '+32 453519681',
    phone_number_verified: true,
    address: {
      formatted: 'Rue Royale 82 1000 Bruxelles',
      street_address: 'Rue Royale 82',
      postal_code: '1000',
      locality: 'Bruxelles',
      country: 'BE',
    },
    nationality: 'Belg',
    place_of_birth: 'Bruxelles',
    country_of_birth: 'BE',
    nin: '81042419835',
    nin_type: 'PERSON',
    nin_issuing_country: 'BE',
    itsme_eid: '591-2345678-29',
    itsme_issuance_locality: 'Bruxelles',
    itsme_validity_from: '2021-03-15T00:00:00.000Z',
    itsme_validity_to: '2031-03-15T00:00:00.000Z',
    itsme_read_date: '2024-04-04T13:38:47.000Z',
    itsme_national_number: '810424 198 35',
    // Signicat's ID token extras
    idp: 'itsme',
    idp_id: 'rpx5rrbsn4ktvh0b7q4uh2iepsdat34i9vf',
    idp_issuer: 'https://idp.e2e.itsme.services/v2',
    sandbox: true,
  },
};

// --------------------------------------------------------------------------
// Profiles: which scopes exist and which claims each scope releases, plus how
// an account's canonical values are presented under that profile.

const BROKER_SCOPES = {
  openid: ['sub', 'idp', 'idp_id', 'idp_issuer', 'sandbox'],
  name: ['name', 'given_name', 'family_name'],
  profile: ['name', 'given_name', 'family_name', 'gender', 'birthdate', 'locale'],
  picture: ['picture'],
  'date-of-birth': ['birthdate'],
  nin: ['nin', 'nin_type', 'nin_issuing_country'],
  email: ['email'],
  phone: ['phone_number'],
  address: ['address'],
  nationality: ['nationality'],
  'place-of-birth': ['place_of_birth'],
  'country-of-birth': ['country_of_birth'],
  'itsme-eid': ['itsme_eid', 'itsme_issuance_locality', 'itsme_validity_from',
    'itsme_validity_to', 'itsme_read_date', 'itsme_national_number'],
};

function itsmeScopes(serviceCodes) {
  const scopes = {
    openid: ['sub'],
    profile: ['name', 'given_name', 'family_name', 'gender', 'locale', 'picture', 'birthdate'],
    email: ['email', 'email_verified'],
    phone: ['phone_number', 'phone_number_verified'],
    address: ['address'],
    eid: [`${ITSME_CLAIM}BENationalNumber`, `${ITSME_CLAIM}BEeidSn`],
    idDocument: [`${ITSME_CLAIM}IDDocumentSN`, `${ITSME_CLAIM}IDDocumentType`,
      `${ITSME_CLAIM}IDIssuingCountry`, `${ITSME_CLAIM}validityFrom`, `${ITSME_CLAIM}validityTo`],
  };
  for (const code of serviceCodes) scopes[`service:${code}`] = [];
  return scopes;
}

// claims only reachable through the claims parameter (itsme)
const ITSME_STANDALONE = ['claim_citizenship', 'claim_citizenship_as_iso', 'place_of_birth',
  'birthdate_as_string', 'issuance_locality', 'verificationDate'].map((c) => ITSME_CLAIM + c);

function itsmeView(a) {
  const eid = (a.itsme_eid || '').replace(/-/g, '');
  const v = { ...a };
  v.locale = (a.locale || '').toUpperCase();
  v[`${ITSME_CLAIM}BENationalNumber`] = a.nin;
  v[`${ITSME_CLAIM}BEeidSn`] = eid;
  v[`${ITSME_CLAIM}IDDocumentSN`] = eid;
  v[`${ITSME_CLAIM}IDDocumentType`] = 'ID';
  v[`${ITSME_CLAIM}IDIssuingCountry`] = { [`${ITSME_CLAIM}IDDocumentSN`]: 'BE' };
  v[`${ITSME_CLAIM}validityFrom`] = { [`${ITSME_CLAIM}IDDocumentSN`]: a.itsme_validity_from };
  v[`${ITSME_CLAIM}validityTo`] = { [`${ITSME_CLAIM}IDDocumentSN`]: a.itsme_validity_to };
  v[`${ITSME_CLAIM}claim_citizenship`] = a.nationality;
  v[`${ITSME_CLAIM}claim_citizenship_as_iso`] = 'BEL';
  v[`${ITSME_CLAIM}place_of_birth`] = { formatted: a.place_of_birth, city: a.place_of_birth, country: a.country_of_birth };
  v[`${ITSME_CLAIM}birthdate_as_string`] = (a.birthdate || '').split('-').reverse().join('.');
  v[`${ITSME_CLAIM}issuance_locality`] = { [`${ITSME_CLAIM}IDDocumentSN`]: a.itsme_issuance_locality };
  v[`${ITSME_CLAIM}verificationDate`] = { [`${ITSME_CLAIM}IDDocumentSN`]: a.itsme_read_date };
  return v;
}

const ITSME_ACR_BASIC = `${ITSME_CLAIM}acr_basic`;
const ITSME_ACR_ADVANCED = `${ITSME_CLAIM}acr_advanced`;

// itsme V2 as its documentation describes it: RS256 signatures, RSA-OAEP(-256)
// key transport, A128CBC-HS256 / A256GCM content encryption, nothing else.
const ITSME_JWA = {
  idTokenSigningAlgValues: ['RS256'],
  userinfoSigningAlgValues: ['RS256'],
  requestObjectSigningAlgValues: ['RS256'],
  clientAuthSigningAlgValues: ['RS256'],
  idTokenEncryptionAlgValues: ['RSA-OAEP', 'RSA-OAEP-256'],
  idTokenEncryptionEncValues: ['A128CBC-HS256', 'A256GCM'],
  userinfoEncryptionAlgValues: ['RSA-OAEP', 'RSA-OAEP-256'],
  userinfoEncryptionEncValues: ['A128CBC-HS256', 'A256GCM'],
  requestObjectEncryptionAlgValues: ['RSA-OAEP', 'RSA-OAEP-256'],
  requestObjectEncryptionEncValues: ['A128CBC-HS256', 'A256GCM'],
};

const PROFILES = {
  broker: {
    scopes: () => BROKER_SCOPES,
    standalone: [],
    view: (a) => a,
    features: () => ({}),
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
    acrValues: [],
  },
  itsme: {
    scopes: (cfg) => itsmeScopes(cfg.serviceCodes || ['TEST_SERVICE']),
    standalone: ITSME_STANDALONE,
    view: itsmeView,
    features: (cfg) => ({
      encryption: { enabled: true },
      jwtUserinfo: { enabled: true },
      requestObjects: {
        request: true,
        requestUri: false,
        requireSignedRequestObject: cfg.requireSignedRequestObject !== false,
      },
    }),
    clientAuthMethods: ['private_key_jwt', 'client_secret_post'],
    acrValues: [ITSME_ACR_BASIC, ITSME_ACR_ADVANCED],
    enabledJWA: ITSME_JWA,
  },
};

// The acr a login reports: cfg.acrResult when set, else the strictest of
// the acr_values asked (itsme: "if both are sent, the stricter wins").
function loginAcr(cfg, params) {
  if (cfg.acrResult) return cfg.acrResult;
  const asked = (params.acr_values || '').split(' ').filter(Boolean);
  if (asked.includes(ITSME_ACR_ADVANCED)) return ITSME_ACR_ADVANCED;
  return asked[0];
}

// --------------------------------------------------------------------------
// Configuration file (all keys optional)

function loadConfig(path) {
  if (!path) return {};
  return JSON.parse(fs.readFileSync(path, 'utf8'));
}

const DEFAULT_CLIENTS = [
  {
    client_id: 'itsme-test-basic',
    client_secret: 'basic-secret-0123456789abcdef0123456789',
    token_endpoint_auth_method: 'client_secret_basic',
    redirect_uris: ['http://127.0.0.1:8080/itsme/callback'],
  },
  {
    client_id: 'itsme-test-post',
    client_secret: 'post-secret-0123456789abcdef0123456789ab',
    token_endpoint_auth_method: 'client_secret_post',
    redirect_uris: ['http://127.0.0.1:8080/itsme/callback'],
  },
];

const FRONTCHANNEL_METADATA = ['frontchannel_logout_uri', 'frontchannel_logout_session_required'];

function normaliseClient(c) {
  return {
    grant_types: ['authorization_code'],
    response_types: ['code'],
    id_token_signed_response_alg: 'RS256',
    post_logout_redirect_uris: [],
    ...c,
  };
}

// --------------------------------------------------------------------------
// The provider

// The OP's private keys: a signing key, and under the itsme profile an
// encryption key (use enc) that request objects are encrypted to, with the
// alg cfg.opEncAlg (default RSA-OAEP-256; null publishes it without alg).
async function signingKeys(cfg) {
  if (cfg.jwks) return cfg.jwks;
  const opts = { modulusLength: 2048, extractable: true };
  const { privateKey } = await jose.generateKeyPair('RS256', opts);
  const jwk = await jose.exportJWK(privateKey);
  const keys = [{ ...jwk, kid: 'op-sig-1', use: 'sig', alg: 'RS256' }];
  if ((cfg.profile || 'broker') === 'itsme' && cfg.opEncKey !== false) {
    const { privateKey: encKey } = await jose.generateKeyPair('RSA-OAEP-256', opts);
    const alg = cfg.opEncAlg === undefined ? 'RSA-OAEP-256' : cfg.opEncAlg;
    keys.push({ ...(await jose.exportJWK(encKey)), kid: 'op-enc-1', use: 'enc', ...(alg ? { alg } : {}) });
  }
  return { keys };
}

// Auto-consent: the grant covers whatever scopes and claims were asked for.
async function loadExistingGrant(ctx) {
  const { oidc } = ctx;
  const grantId = oidc.result?.consent?.grantId || oidc.session.grantIdFor(oidc.client.clientId);
  let grant = grantId ? await oidc.provider.Grant.find(grantId) : undefined;
  if (!grant || grant.accountId !== oidc.session.accountId) {
    grant = new oidc.provider.Grant({ clientId: oidc.client.clientId, accountId: oidc.session.accountId });
  }
  grant.addOIDCScope([...oidc.requestParamScopes].join(' '));
  const claims = [...oidc.requestParamClaims];
  if (claims.length) grant.addOIDCClaims(claims);
  await grant.save();
  return grant;
}

// cfg.userinfoOnlyClients: for these client ids the ID token carries sub
// only, so the relying party has to call userinfo for the rest.
function makeFindAccount(accounts, profile, cfg) {
  const userinfoOnly = new Set(cfg.userinfoOnlyClients || []);
  return async function findAccount(ctx, id) {
    const acct = accounts[id];
    if (!acct) return undefined;
    const clientId = ctx.oidc?.client?.clientId;
    return {
      accountId: id,
      async claims(use) {
        // POST /_test/settings {"withhold": [...]}: an OP that does not give these
        const kept = { ...acct };
        for (const k of cfg.withhold || []) delete kept[k];
        const view = profile.view(kept);
        return use === 'id_token' && userinfoOnly.has(clientId) ? { sub: view.sub } : view;
      },
    };
  };
}

function buildConfiguration(cfg, jwks) {
  const profileName = cfg.profile || 'broker';
  const profile = PROFILES[profileName];
  if (!profile) throw new Error(`unknown profile "${profileName}" (broker|itsme)`);
  const accounts = { ...DEFAULT_ACCOUNTS, ...(cfg.accounts || {}) };
  const claims = { ...profile.scopes(cfg) };
  for (const c of profile.standalone) claims[c] = null;
  for (const [k, v] of Object.entries(cfg.extraClaims || {})) claims[k] = v;
  // features.frontchannelLogout is implemented here (node-oidc-provider 8
  // dropped it), the rest goes to the provider
  const { frontchannelLogout, ...features } = {
    devInteractions: { enabled: false },
    claimsParameter: { enabled: true },
    rpInitiatedLogout: { enabled: true, logoutSource: autoSubmitLogout },
    userinfo: { enabled: true },
    ...profile.features(cfg),
    ...(cfg.features || {}),
  };
  const conf = {
    clients: (cfg.clients || DEFAULT_CLIENTS).map(normaliseClient),
    responseTypes: ['code'],
    clientAuthMethods: cfg.clientAuthMethods || profile.clientAuthMethods,
    claims,
    scopes: Object.keys(claims).filter((k) => Array.isArray(claims[k])),
    findAccount: makeFindAccount(accounts, profile, cfg),
    acrValues: profile.acrValues,
    loadExistingGrant,
    conformIdTokenClaims: cfg.claimsInIdToken === false,
    features,
    // Front-Channel Logout 1.0 client metadata, kept verbatim on the client
    extraClientMetadata: { properties: FRONTCHANNEL_METADATA },
    pkce: { methods: ['S256'], required: () => cfg.pkceRequired !== false },
    jwks,
    cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
    ttl: { AccessToken: 600, AuthorizationCode: 180, IdToken: 600, Grant: 3600, Interaction: 600, Session: 3600 },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    renderError: async (ctx, out) => {
      ctx.type = 'json';
      ctx.body = out;
    },
  };
  if (cfg.enabledJWA || profile.enabledJWA) conf.enabledJWA = { ...profile.enabledJWA, ...cfg.enabledJWA };
  return { conf, accounts, profileName, profile, frontchannel: !!frontchannelLogout?.enabled };
}

async function autoSubmitLogout(ctx, form) {
  ctx.body = `<!DOCTYPE html><html><head><title>Logout</title></head><body>${form}
<script>document.forms[0].submit()</script></body></html>`;
}

// --------------------------------------------------------------------------
// Test hooks: /interaction/:uid logs the user in with no screen; /_test/log
// shows what clients sent (authorization and token requests).

function interactionMiddleware(provider, cfg, accounts, log) {
  return async (ctx, next) => {
    const m = /^\/interaction\/([^/]+)\/?$/.exec(ctx.path);
    if (!m) return next();
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    const { prompt, params } = details;
    const hinted = params.login_hint && accounts[params.login_hint] ? params.login_hint : undefined;
    const byClient = (cfg.clientAccounts || {})[params.client_id];
    const accountId = hinted || byClient || cfg.account || Object.keys(accounts)[0];
    let result;
    if (prompt.name === 'login') {
      const acr = loginAcr(cfg, params);
      result = { login: { accountId, ...(acr ? { acr } : {}) } };
    } else if (prompt.name === 'consent') {
      const grant = new provider.Grant({ accountId: details.session.accountId, clientId: params.client_id });
      grant.addOIDCScope(params.scope);
      const missing = prompt.details.missingOIDCClaims;
      if (missing && missing.length) grant.addOIDCClaims(missing);
      result = { consent: { grantId: await grant.save() } };
    } else {
      result = { error: 'access_denied', error_description: `unsupported prompt ${prompt.name}` };
    }
    // the parameters the OP resolved (from a request object when one was sent)
    log.push({
      event: 'interaction',
      prompt: prompt.name,
      accountId,
      client_id: params.client_id,
      scope: params.scope,
      claims: params.claims,
      acr_values: params.acr_values,
      ui_locales: params.ui_locales,
      redirect_uri: params.redirect_uri,
    });
    const to = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
    ctx.status = 302;
    ctx.redirect(to);
    return undefined;
  };
}

// POST /_test/settings {"account": "id" | null, "withhold": ["nin", ...]}:
// who logs in at the next login prompt (null: back to the configured one),
// and the account's claims the OP stops giving (canonical account keys).
function settingsMiddleware(cfg, accounts) {
  const initial = cfg.account;
  return async (ctx, next) => {
    if (ctx.path !== '/_test/settings' || ctx.method !== 'POST') return next();
    const body = await readJsonBody(ctx);
    if (body.account !== undefined) {
      if (body.account !== null && !accounts[body.account]) return answer(ctx, 400, { error: 'unknown account' });
      cfg.account = body.account === null ? initial : body.account;
    }
    if (body.withhold !== undefined) cfg.withhold = Array.isArray(body.withhold) ? body.withhold : [];
    return answer(ctx, 200, { account: cfg.account || null, withhold: cfg.withhold || [] });
  };
}

function requestLogMiddleware(log) {
  return async (ctx, next) => {
    if (ctx.path === '/_test/log') {
      ctx.type = 'json';
      ctx.body = log;
      return undefined;
    }
    if (ctx.path === '/_test/log/clear' && ctx.method === 'POST') {
      log.length = 0;
      ctx.status = 204;
      return undefined;
    }
    if (ctx.path === '/auth' || ctx.path === '/token' || ctx.path === '/me') {
      const entry = {
        event: ctx.path.slice(1),
        method: ctx.method,
        query: { ...ctx.query },
        authorization: (ctx.get('authorization') || '').split(' ')[0] || null,
      };
      log.push(entry);
      if (log.length > 500) log.shift();
      await next();
      entry.status = ctx.status;
      // what the OP resolved, from the (decrypted) request object when one was sent
      if (ctx.path === '/auth' && ctx.oidc?.params) {
        const { scope, claims, acr_values: acrValues } = ctx.oidc.params;
        entry.resolved = { request_object: !!ctx.query.request, scope, claims, acr_values: acrValues };
      }
      if (ctx.oidc?.client) entry.client_id = ctx.oidc.client.clientId;
      // the ID token's session facts (sid: Back/Front-Channel Logout tests)
      const idt = ctx.path === '/token' && ctx.body && typeof ctx.body === 'object' ? ctx.body.id_token : undefined;
      const claims = typeof idt === 'string' ? jwtClaims(idt) : undefined;
      if (claims) {
        entry.id_token = {
          iss: claims.iss, sub: claims.sub, aud: claims.aud, sid: claims.sid, iat: claims.iat, exp: claims.exp,
        };
      }
      return undefined;
    }
    return next();
  };
}

// --------------------------------------------------------------------------
// OP-initiated logout (Back-Channel and Front-Channel Logout 1.0) and the
// test hooks that go with it:
//   POST /_test/client   {client_id, backchannel_logout_uri, backchannel_logout_session_required,
//                         frontchannel_logout_uri, frontchannel_logout_session_required}
//                        sets a client's logout metadata at run time (the relying parties' ports
//                        are chosen when the tests run); null removes an entry
//   POST /_test/sign     {payload | payload_raw, header: {alg, kid, typ, ...}, key: "op"|"foreign",
//                         embed_jwk, secret, tamper}
//                        -> {jwt}: a JWS over any payload, signed with the OP's own signing key
//                        (the one /jwks publishes) unless key is "foreign"; alg "none" gives an
//                        unsecured JWT; HS* uses `secret` (default: the OP's public key as PEM);
//                        a header member set to null is left out (kid defaults to the OP key's
//                        kid, typ to logout+jwt); embed_jwk puts the foreign key's public half
//                        in the header (jwk); tamper flips a bit of the signature
// The log (/_test/log) gains `backchannel` entries (each delivery: client_id, sub, sid, ok,
// error), `logout_token` entries (the token the OP sent) and `frontchannel` entries (each
// front-channel URL the logout page loads).

function jwtClaims(jwt) {
  const parts = jwt.split('.');
  if (parts.length !== 3) return undefined;
  try {
    return JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}

async function readJsonBody(ctx, limit = 4 * 1024 * 1024) {
  const chunks = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += chunk.length;
    if (size > limit) throw new Error('body too large');
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? JSON.parse(text) : {};
}

function answer(ctx, status, body) {
  ctx.status = status;
  ctx.type = 'json';
  ctx.set('Cache-Control', 'no-store');
  ctx.body = body;
}

const b64json = (v) => Buffer.from(JSON.stringify(v)).toString('base64url');

// The OP's signing key (the first key of its JWKS that is not for encryption).
function signingJwk(jwks) {
  return jwks.keys.find((k) => k.use !== 'enc' && (k.d || k.k)) || jwks.keys[0];
}

async function signArbitrary(jwks, req) {
  const own = signingJwk(jwks);
  const header = { alg: own.alg || 'RS256', kid: own.kid, typ: 'logout+jwt', ...(req.header || {}) };
  for (const [k, v] of Object.entries(header)) if (v === null) delete header[k];
  const payloadText = typeof req.payload_raw === 'string' ? req.payload_raw : JSON.stringify(req.payload || {});
  const payload = new TextEncoder().encode(payloadText);
  const { alg } = header;
  let jwt;
  if (!alg || alg === 'none' || alg === 'None' || alg === 'NONE') {
    jwt = `${b64json(header)}.${Buffer.from(payload).toString('base64url')}.`;
  } else if (/^HS\d+$/.test(alg)) {
    let secret = req.secret;
    if (typeof secret !== 'string') {
      const pub = crypto.createPublicKey({ key: own, format: 'jwk' });
      secret = pub.export({ type: 'spki', format: 'pem' });
    }
    jwt = await new jose.CompactSign(payload).setProtectedHeader(header).sign(new TextEncoder().encode(secret));
  } else {
    let key;
    if (req.key === 'foreign') {
      let publicKey;
      ({ privateKey: key, publicKey } = await jose.generateKeyPair(alg, { modulusLength: 2048 }));
      // the attacker's own public key in the header (RFC 7515 jwk), which must not be trusted
      if (req.embed_jwk) header.jwk = { ...(await jose.exportJWK(publicKey)), ...(header.kid ? { kid: header.kid } : {}) };
    } else {
      key = await jose.importJWK(own, alg);
    }
    jwt = await new jose.CompactSign(payload).setProtectedHeader(header).sign(key);
  }
  if (req.tamper) {
    const [h, p, sig] = jwt.split('.');
    const raw = Buffer.from(sig, 'base64url');
    if (raw.length) raw[raw.length >> 1] ^= 0x01;
    jwt = `${h}.${p}.${raw.toString('base64url')}`;
  }
  return jwt;
}

const CLIENT_LOGOUT_METADATA = {
  backchannel_logout_uri: 'backchannelLogoutUri',
  backchannel_logout_session_required: 'backchannelLogoutSessionRequired',
  frontchannel_logout_uri: 'frontchannel_logout_uri',
  frontchannel_logout_session_required: 'frontchannel_logout_session_required',
};

async function updateClient(provider, body) {
  const client = await provider.Client.find(body.client_id);
  if (!client) return [404, { error: 'invalid_client', error_description: 'no such client' }];
  for (const [name, prop] of Object.entries(CLIENT_LOGOUT_METADATA)) {
    if (!(name in body)) continue;
    const v = body[name];
    if (v === null) {
      delete client[prop];
    } else if (name.endsWith('_uri')) {
      let u;
      try { u = new URL(v); } catch { u = undefined; }
      if (!u || !/^https?:$/.test(u.protocol) || u.hash) {
        return [400, { error: 'invalid_client_metadata', error_description: `${name} must be an http(s) URL` }];
      }
      client[prop] = v;
    } else if (typeof v === 'boolean') {
      client[prop] = v;
    } else {
      return [400, { error: 'invalid_client_metadata', error_description: `${name} must be a boolean` }];
    }
  }
  const out = { client_id: client.clientId };
  for (const [name, prop] of Object.entries(CLIENT_LOGOUT_METADATA)) out[name] = client[prop];
  return [200, out];
}

function frontchannelUrl(provider, client, sid) {
  const u = new URL(client.frontchannel_logout_uri);
  if (client.frontchannel_logout_session_required) {
    u.searchParams.set('iss', provider.issuer);
    if (sid) u.searchParams.set('sid', sid);
  }
  return u.href;
}

const htmlEscape = (v) => String(v).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function logoutMiddleware(provider, jwks, log, frontchannel) {
  // session id -> {clientId, sids: {clientId: sid}}, taken when the logout
  // confirmation page is shown (the confirmation forgets them)
  const pending = new Map();
  return async (ctx, next) => {
    if (ctx.path === '/_test/client' && ctx.method === 'POST') {
      let body;
      try { body = await readJsonBody(ctx); } catch (e) { answer(ctx, 400, { error: String(e.message) }); return undefined; }
      const [status, out] = await updateClient(provider, body || {});
      answer(ctx, status, out);
      return undefined;
    }
    if (ctx.path === '/_test/sign' && ctx.method === 'POST') {
      try {
        const body = await readJsonBody(ctx);
        answer(ctx, 200, { jwt: await signArbitrary(jwks, body || {}) });
      } catch (e) {
        answer(ctx, 400, { error: String(e.message || e) });
      }
      return undefined;
    }
    if (ctx.path === '/.well-known/openid-configuration') {
      await next();
      if (frontchannel && ctx.body && typeof ctx.body === 'object') {
        ctx.body.frontchannel_logout_supported = true;
        ctx.body.frontchannel_logout_session_supported = true;
      }
      return undefined;
    }
    if (!frontchannel) return next();
    if (ctx.path === '/session/end') {
      await next();
      const session = ctx.oidc?.session;
      if (session?.state?.secret && session.authorizations) {
        const sids = {};
        for (const [clientId, a] of Object.entries(session.authorizations)) if (a?.sid) sids[clientId] = a.sid;
        pending.set(session.jti, { clientId: session.state.clientId, sids });
        if (pending.size > 200) pending.delete(pending.keys().next().value);
      }
      return undefined;
    }
    if (ctx.path === '/session/end/confirm' && ctx.method === 'POST') {
      await next();
      const session = ctx.oidc?.session;
      if (!session || ctx.status !== 303) return undefined;
      const key = session.destroyed ? session.jti : (session.oldId || session.jti);
      const seen = pending.get(key);
      pending.delete(key);
      if (!seen) return undefined;
      const everyone = !!ctx.oidc.params?.logout;
      const frames = [];
      for (const [clientId, sid] of Object.entries(seen.sids)) {
        if (!everyone && clientId !== seen.clientId) continue;
        const client = await provider.Client.find(clientId);
        if (!client?.frontchannel_logout_uri) continue;
        const url = frontchannelUrl(provider, client, sid);
        frames.push(url);
        log.push({ event: 'frontchannel', client_id: clientId, sid, url });
      }
      if (!frames.length) return undefined;
      // the OP's logout page loads each relying party's front-channel URL in
      // an iframe, then goes where the 303 would have gone
      const target = ctx.response.get('Location');
      ctx.remove('Location');
      ctx.status = 200;
      ctx.type = 'html';
      ctx.body = `<!DOCTYPE html><html><head><title>Signing out</title></head><body>
${frames.map((u) => `<iframe class="frontchannel" src="${htmlEscape(u)}" style="display:none"></iframe>`).join('\n')}
<a id="continue" href="${htmlEscape(target)}">Continue</a>
<script>window.addEventListener('load', () => { window.location.replace(${JSON.stringify(target).replace(/</g, '\\u003c')}); });</script>
</body></html>`;
      return undefined;
    }
    return next();
  };
}

// node-oidc-provider's glue for logout: ID tokens carry sid for front-channel
// clients too; the logout token's sub is the account's sub claim (the test
// accounts' ids are not their sub); deliveries and tokens are logged.
function patchLogout(provider, accounts, profile, log) {
  const proto = provider.Client.prototype;
  const includeSid = proto.includeSid;
  proto.includeSid = function includeSidToo() {
    return includeSid.call(this) || !!(this.frontchannel_logout_uri && this.frontchannel_logout_session_required);
  };
  const backchannelLogout = proto.backchannelLogout;
  proto.backchannelLogout = function backchannelLogoutAsSub(accountId, sid) {
    const acct = accounts[accountId];
    const sub = (acct && profile.view(acct).sub) || accountId;
    return backchannelLogout.call(this, sub, sid);
  };
  const { IdToken } = provider;
  const issue = IdToken.prototype.issue;
  IdToken.prototype.issue = async function issueAndLog(opts = {}) {
    const token = await issue.call(this, opts);
    if (opts.use === 'logout') log.push({ event: 'logout_token', client_id: this.client?.clientId, token, claims: jwtClaims(token) });
    return token;
  };
  provider.on('backchannel.success', (ctx, client, accountId, sid) => {
    log.push({ event: 'backchannel', client_id: client.clientId, uri: client.backchannelLogoutUri, account: accountId, sid, ok: true });
  });
  provider.on('backchannel.error', (ctx, err, client, accountId, sid) => {
    process.stderr.write(`op.js backchannel.error: ${client.clientId}: ${err.message}\n`);
    log.push({ event: 'backchannel', client_id: client.clientId, uri: client.backchannelLogoutUri, account: accountId, sid, ok: false, error: err.message });
  });
}

// Tests start httpd on ports chosen at run time: a client may then accept any
// redirect_uri matching a pattern (test only; a real OP needs an exact match).
function allowRedirectPattern(provider, pattern) {
  if (!pattern) return;
  const re = new RegExp(pattern);
  const proto = provider.Client.prototype;
  const exact = proto.redirectUriAllowed;
  const exactLogout = proto.postLogoutRedirectUriAllowed;
  proto.redirectUriAllowed = function redirectUriAllowed(uri) {
    return re.test(uri) || exact.call(this, uri);
  };
  proto.postLogoutRedirectUriAllowed = function postLogoutRedirectUriAllowed(uri) {
    return re.test(uri) || exactLogout.call(this, uri);
  };
}

async function main() {
  const opts = parseArgs(process.argv);
  const cfg = loadConfig(opts.config);
  const issuer = cfg.issuer || opts.issuer;
  const jwks = await signingKeys(cfg);
  const { conf, accounts, profileName, profile, frontchannel } = buildConfiguration(cfg, jwks);
  const provider = new Provider(issuer, conf);
  provider.proxy = true;
  allowRedirectPattern(provider, cfg.redirectUriPattern);
  const log = [];
  provider.use(requestLogMiddleware(log));
  provider.use(settingsMiddleware(cfg, accounts));
  provider.use(interactionMiddleware(provider, cfg, accounts, log));
  provider.use(logoutMiddleware(provider, jwks, log, frontchannel));
  patchLogout(provider, accounts, profile, log);
  provider.on('server_error', (ctx, err) => process.stderr.write(`op.js server_error: ${err.stack}\n`));
  provider.on('grant.error', (ctx, err) => process.stderr.write(`op.js grant.error: ${err.message} ${err.error_description || ''}\n`));
  provider.on('authorization.error', (ctx, err) => process.stderr.write(`op.js authorization.error: ${err.message} ${err.error_description || ''}\n`));

  const server = http.createServer(provider.callback());
  server.listen(opts.port, opts.host, () => {
    const { port } = server.address();
    const ready = {
      issuer,
      port,
      profile: profileName,
      discovery: `${issuer}/.well-known/openid-configuration`,
      clients: conf.clients.map((c) => c.client_id),
    };
    process.stdout.write(`OP READY ${JSON.stringify(ready)}\n`);
  });
  const stop = () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err) => {
  process.stderr.write(`op.js: ${err.stack || err}\n`);
  process.exit(1);
});

