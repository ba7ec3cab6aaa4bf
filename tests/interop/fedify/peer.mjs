// A small ActivityPub server built on Fedify, federating with a live Parley on loopback.
//
//   PORT=... node peer.mjs
//
// It serves one actor, /users/fed (RSA key made at start), with an inbox that records what
// arrives (after Fedify has verified its HTTP signature), accepts every Follow, and a control
// API for the test: POST /control/follow {"resource": "..."} resolves a Parley account by
// WebFinger and follows it; POST /control/post {"text": "..."} sends a Create(Note) to the
// followers; GET /control/state tells what came in. Prints "ready <origin>" when listening.
import { createServer } from "node:http";
import {
  createFederation,
  exportJwk,
  generateCryptoKeyPair,
  MemoryKvStore,
} from "@fedify/fedify";
import {
  Accept,
  Create,
  Endpoints,
  Follow,
  Note,
  Person,
  PUBLIC_COLLECTION,
  Undo,
} from "@fedify/fedify/vocab";
import { lookupWebFinger } from "@fedify/webfinger";
import { Temporal } from "@js-temporal/polyfill";

const port = Number(process.env.PORT);
const origin = `http://127.0.0.1:${port}`;
const IDENTIFIER = "fed";

const keys = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
const state = { accepted: [], notes: [], followers: [], followed: [], errors: [] };
const followerActors = new Map();

const federation = createFederation({
  kv: new MemoryKvStore(),
  allowPrivateAddress: true, // Parley listens on loopback for the test
});

federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    if (identifier !== IDENTIFIER) return null;
    const [keyPair] = await ctx.getActorKeyPairs(identifier);
    return new Person({
      id: ctx.getActorUri(identifier),
      preferredUsername: identifier,
      name: "Fedify Peer",
      summary: "An independent implementation, for Parley's interop test",
      url: ctx.getActorUri(identifier),
      inbox: ctx.getInboxUri(identifier),
      endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
      followers: ctx.getFollowersUri(identifier),
      publicKey: keyPair.cryptographicKey,
      assertionMethods: [keyPair.multikey],
    });
  })
  .setKeyPairsDispatcher(async (_ctx, identifier) =>
    identifier === IDENTIFIER ? [keys] : [],
  );

federation.setFollowersDispatcher("/users/{identifier}/followers", async () => ({
  items: [...followerActors.values()],
}));

federation
  .setInboxListeners("/users/{identifier}/inbox", "/inbox")
  .on(Follow, async (ctx, follow) => {
    const follower = await follow.getActor(ctx);
    if (follower == null || follower.id == null) return;
    followerActors.set(follower.id.href, follower);
    state.followers.push(follower.id.href);
    await ctx.sendActivity(
      { identifier: IDENTIFIER },
      follower,
      new Accept({
        id: new URL(`#accepts/${state.followers.length}`, ctx.getActorUri(IDENTIFIER)),
        actor: ctx.getActorUri(IDENTIFIER),
        object: follow,
      }),
    );
  })
  .on(Accept, async (_ctx, accept) => {
    state.accepted.push({ actor: accept.actorId?.href, object: accept.objectId?.href });
  })
  .on(Create, async (ctx, create) => {
    const object = await create.getObject(ctx);
    if (object instanceof Note) {
      state.notes.push({
        id: object.id?.href,
        actor: create.actorId?.href,
        attributedTo: object.attributionId?.href,
        content: object.content?.toString(),
      });
    }
  })
  .on(Undo, async () => {})
  .onError(async (_ctx, error) => {
    state.errors.push(String(error));
  });

async function readJson(request) {
  const chunks = [];
  for await (const chunk of request) chunks.push(chunk);
  return chunks.length ? JSON.parse(Buffer.concat(chunks).toString()) : {};
}

function reply(response, status, body) {
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify(body));
}

let posted = 0;

async function control(request, response, path) {
  const ctx = federation.createContext(new URL(origin), undefined);
  if (path === "/control/state") return reply(response, 200, state);
  const body = await readJson(request);
  if (path === "/control/follow") {
    // WebFinger first (as a Mastodon user typing an address would), then the actor itself.
    const jrd = await lookupWebFinger(body.resource, { allowPrivateAddress: true });
    const self = jrd?.links?.find(
      (link) => link.rel === "self" && link.type === "application/activity+json",
    );
    if (self == null) return reply(response, 404, { error: "no self link", jrd });
    const actor = await ctx.lookupObject(self.href);
    if (!(actor instanceof Person)) return reply(response, 404, { error: "not a Person" });
    state.followed.push({ subject: jrd.subject, actor: actor.id.href });
    await ctx.sendActivity(
      { identifier: IDENTIFIER },
      actor,
      new Follow({
        id: new URL(`#follows/${state.followed.length}`, ctx.getActorUri(IDENTIFIER)),
        actor: ctx.getActorUri(IDENTIFIER),
        object: actor.id,
      }),
    );
    return reply(response, 200, { subject: jrd.subject, actor: actor.id.href });
  }
  if (path === "/control/post") {
    posted += 1;
    const note = new Note({
      id: new URL(`/notes/${posted}`, origin),
      attribution: ctx.getActorUri(IDENTIFIER),
      content: body.text,
      to: PUBLIC_COLLECTION,
      ccs: [ctx.getFollowersUri(IDENTIFIER)],
      published: Temporal.Now.instant(),
    });
    await ctx.sendActivity(
      { identifier: IDENTIFIER },
      [...followerActors.values()],
      new Create({
        id: new URL(`/notes/${posted}/activity`, origin),
        actor: ctx.getActorUri(IDENTIFIER),
        object: note,
        to: PUBLIC_COLLECTION,
        ccs: [ctx.getFollowersUri(IDENTIFIER)],
      }),
    );
    return reply(response, 200, { id: note.id.href, followers: followerActors.size });
  }
  return reply(response, 404, { error: "unknown control path" });
}

const server = createServer(async (request, response) => {
  const url = new URL(request.url, origin);
  try {
    if (url.pathname.startsWith("/control/")) return await control(request, response, url.pathname);
    const chunks = [];
    for await (const chunk of request) chunks.push(chunk);
    const body = chunks.length ? Buffer.concat(chunks) : undefined;
    const headers = new Headers();
    for (const [name, value] of Object.entries(request.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(", ") : value);
    }
    const answer = await federation.fetch(
      new Request(url, { method: request.method, headers, body }),
      { contextData: undefined },
    );
    response.writeHead(answer.status, Object.fromEntries(answer.headers));
    response.end(Buffer.from(await answer.arrayBuffer()));
  } catch (error) {
    state.errors.push(String(error?.stack ?? error));
    reply(response, 500, { error: String(error) });
  }
});

server.listen(port, "127.0.0.1", () => console.log(`ready ${origin}`));
