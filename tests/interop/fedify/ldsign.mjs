// Prints an activity signed with a linked-data signature (RsaSignature2017) by Fedify, and the
// public key that verifies it: {"publicKeyPem": ..., "activity": {...}}.
//   ACTOR=<actor URI> (default https://mastodon.example/users/bob)
//   PRIVATE_JWK=<the actor's RSA private key as a JWK> (default: a new key)
import {
  exportSpki,
  generateCryptoKeyPair,
  importJwk,
  signJsonLd,
} from "@fedify/fedify";

let privateKey, publicKey;
if (process.env.PRIVATE_JWK) {
  const jwk = JSON.parse(process.env.PRIVATE_JWK);
  privateKey = await importJwk(jwk, "private");
  const { d, p, q, dp, dq, qi, ...pub } = jwk;
  publicKey = await importJwk(pub, "public");
} else {
  ({ privateKey, publicKey } = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5"));
}
const actor = process.env.ACTOR ?? "https://mastodon.example/users/bob";
const activity = {
  "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
  id: `${actor}/statuses/1/activity`,
  type: "Create",
  actor,
  to: ["https://www.w3.org/ns/activitystreams#Public"],
  object: {
    id: `${actor}/statuses/1`,
    type: "Note",
    attributedTo: actor,
    content: "<p>signed by bob, forwarded by someone else</p>",
    to: ["https://www.w3.org/ns/activitystreams#Public"],
  },
};
const signed = await signJsonLd(activity, privateKey, new URL(`${actor}#main-key`), {});
console.log(JSON.stringify({ publicKeyPem: await exportSpki(publicKey), activity: signed }));
