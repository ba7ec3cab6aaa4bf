// A Mastodon app's first minutes against Parley, through the masto client library:
// register an app, log in by password, post, read timelines, follow, favourite, reblog,
// and hear a followed account's post on the streaming API (WebSocket).
// Input: PARLEY_URL, ALICE_LOGIN, BOB_LOGIN, PASSWORD. Output: one JSON line of findings.
import assert from "node:assert/strict";

import { createOAuthAPIClient, createRestAPIClient, createStreamingAPIClient } from "masto";

const url = process.env.PARLEY_URL;
const password = process.env.PASSWORD;
const scope = "read write follow";

async function logIn(login) {
  const rest = createRestAPIClient({ url });
  const app = await rest.v1.apps.create({
    clientName: `masto smoke (${login})`,
    redirectUris: "urn:ietf:wg:oauth:2.0:oob",
    scopes: scope,
  });
  const oauth = createOAuthAPIClient({ url });
  const token = await oauth.token.create({
    grantType: "password",
    clientId: app.clientId,
    clientSecret: app.clientSecret,
    redirectUri: "urn:ietf:wg:oauth:2.0:oob",
    username: login,
    password,
    scope,
  });
  return { token: token.accessToken, api: createRestAPIClient({ url, accessToken: token.accessToken }) };
}

const TIMED_OUT = Symbol("timed out");

// `promise`'s value, or TIMED_OUT after `ms` (the promise stays pending, to await again).
async function within(ms, promise) {
  let timer;
  const timeout = new Promise((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), Math.max(ms, 0));
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const alice = await logIn(process.env.ALICE_LOGIN);
const bob = await logIn(process.env.BOB_LOGIN);
const me = await alice.api.v1.accounts.verifyCredentials();
const bobAccount = await bob.api.v1.accounts.verifyCredentials();

const own = await alice.api.v1.statuses.create({ status: "Hello from masto #interop" });
assert.equal(own.account.id, me.id);
const home = await alice.api.v1.timelines.home.list();
assert.ok(home.some((s) => s.id === own.id), "own post is at home");
const pub = await alice.api.v1.timelines.public.list({ local: true });
assert.ok(pub.some((s) => s.id === own.id), "own post is on the local timeline");

const relationship = await alice.api.v1.accounts.$select(bobAccount.id).follow();
assert.ok(relationship.following);
const bobs = await bob.api.v1.statuses.create({ status: "Something worth sharing" });
const favourited = await alice.api.v1.statuses.$select(bobs.id).favourite();
assert.ok(favourited.favourited);
const reblog = await alice.api.v1.statuses.$select(bobs.id).reblog();
assert.equal(reblog.reblog.id, bobs.id);

const instance = await alice.api.v2.instance.fetch();
const streaming = createStreamingAPIClient({
  streamingApiUrl: instance.configuration.urls.streaming,
  accessToken: alice.token,
  retry: false,
});
const subscription = streaming.user.subscribe();
const events = subscription[Symbol.asyncIterator]();
let next = events.next(); // connects and subscribes; the protocol has no acknowledgement

// Waits for the update carrying `id`, skipping others; false if `ms` pass first.
async function hear(id, ms) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const result = await within(deadline - Date.now(), next);
    if (result === TIMED_OUT) {
      return false;
    }
    next = events.next();
    assert.ok(!result.done, "the stream ended");
    if (result.value.event === "update" && result.value.payload.id === id) {
      heard = result.value;
      return true;
    }
  }
  return false;
}

let heard;
// Subscribed once alice hears her own post (it is in her home); then the real test.
let ready = false;
for (let attempt = 0; attempt < 10 && !ready; attempt++) {
  const ping = await alice.api.v1.statuses.create({ status: `ping ${attempt}`, visibility: "private" });
  ready = await hear(ping.id, 2000);
}
assert.ok(ready, "the user stream never carried alice's own posts");
const streamed = await bob.api.v1.statuses.create({ status: "Live to my followers" });
assert.ok(await hear(streamed.id, 15000), "bob's post was not streamed to alice");
assert.deepEqual(heard.stream, ["user"]);
assert.equal(heard.payload.account.id, bobAccount.id);
subscription.unsubscribe();
streaming.close();

console.log(
  JSON.stringify({
    account: me.username,
    posted: own.id,
    reblogged: reblog.id,
    streamed: heard.payload.id,
    expected: streamed.id,
  }),
);
