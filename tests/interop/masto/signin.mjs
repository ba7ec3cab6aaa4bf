// The two other doors of a Mastodon app, through masto: signing up a new member, and signing
// in by the authorization code a person approves in the browser.
//   node signin.mjs register   (PARLEY_URL, USERNAME, PASSWORD)  -> {clientId, clientSecret, username}
//   node signin.mjs code       (PARLEY_URL, CLIENT_ID, CLIENT_SECRET, CODE) -> {username}
import assert from "node:assert/strict";

import { createOAuthAPIClient, createRestAPIClient } from "masto";

const url = process.env.PARLEY_URL;
const scope = "read write follow";
const redirectUri = "https://app.example/callback";
const oauth = createOAuthAPIClient({ url });

if (process.argv[2] === "register") {
  const app = await createRestAPIClient({ url }).v1.apps.create({
    clientName: "masto sign-in test",
    redirectUris: redirectUri,
    scopes: scope,
  });
  // An app token (no member yet) is what Mastodon asks for to create an account.
  const appToken = await oauth.token.create({
    grantType: "client_credentials",
    clientId: app.clientId,
    clientSecret: app.clientSecret,
    redirectUri,
    scope,
  });
  const username = process.env.USERNAME;
  const token = await createRestAPIClient({ url, accessToken: appToken.accessToken }).v1.accounts.create({
    username,
    email: `${username}@example.org`,
    password: process.env.PASSWORD,
    agreement: true,
    locale: "en",
  });
  const me = await createRestAPIClient({ url, accessToken: token.accessToken }).v1.accounts.verifyCredentials();
  assert.equal(me.username, username);
  console.log(JSON.stringify({ clientId: app.clientId, clientSecret: app.clientSecret, username: me.username }));
} else if (process.argv[2] === "code") {
  const token = await oauth.token.create({
    grantType: "authorization_code",
    clientId: process.env.CLIENT_ID,
    clientSecret: process.env.CLIENT_SECRET,
    redirectUri,
    code: process.env.CODE,
    scope,
  });
  const me = await createRestAPIClient({ url, accessToken: token.accessToken }).v1.accounts.verifyCredentials();
  console.log(JSON.stringify({ username: me.username }));
} else {
  throw new Error("usage: node signin.mjs register|code");
}
