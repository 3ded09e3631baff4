/**
 * raft-node's HTTP API over a Node whose context is the key-value store: the contract documented
 * in the README ("The HTTP API"). Any node serves any request: writes are proposed through
 * `node.propose()` (followers forward to the leader), linearizable reads wait for ReadIndex or
 * LeaseRead confirmation and then read the local store.
 * @module
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Counter, Gauge } from 'prom-client';
import { aliasHint } from '../address-aliases.js';
import { checkAddress } from '../members.js';
import type { Command } from '../command.js';
import { NotStartedError, RemovedError, StoppedError } from '../errors.js';
import type { Node, ReadOutcome } from '../node.js';
import { AppendCommand, CasCommand, DeleteCommand, SetCommand, type AppendResult, type CasResult, type KvStore } from '../kv/index.js';
import { booleanField, bytesEncodingField, checkBodyCoding, decodeBytes, encodeBytes, nullableStringField, onlyFields, parseJsonObject, readBody, stringField } from './body.js';
import { crossSiteRefusal } from './cross-origin.js';
import { dashboardHtml } from './dashboard.js';
import { HttpError, errorAnswer } from './http-errors.js';
import { Router, checkQuery, type Answer, type Route } from './routes.js';
import type { NodeStatus } from './status.js';
import { MAX_PIPELINED_REQUESTS, resumeReading, stopReading } from './socket-reading.js';

/** Options of {@link KvHttpServer}. */
export interface KvHttpServerOptions {
  /** Host to listen on (and to advertise to the other members). */
  host: string;
  /** Port; 0 picks a free one (see `address` after start). */
  port: number;
  /** Largest value (and body) accepted, in bytes; larger gets 413. Default 1 MiB. */
  maxValueBytes?: number;
  /**
   * Open client connections at most; more are closed at once. Default 1000: below the usual
   * 1024 file descriptors, so clients cannot take those the WAL needs (found in review: holding
   * connections until the limit made the next WAL segment fail with EMFILE, which stops a node).
   */
  maxConnections?: number;
  /** Where the server's own lines go (refused connections). Default: stderr, as the Node's. */
  log?: (level: 'warn', line: string) => void;
}

/** A line about refused connections at most this often (a flood of them must not flood the log). */
const REFUSED_LOG_INTERVAL_MS = 60_000;

const JSON_TYPE = 'application/json';
/** JSON bodies of the control routes (members, transfer, cas) are small: cap them separately. */
const CONTROL_BODY_BYTES = 64 * 1024;
/** The fields of a CAS body. */
const CAS_FIELDS = ['expect', 'value', 'encoding'] as const;

/** The status line and message for a request node:http could not parse (by its error code). */
function clientErrorAnswer(code: string | undefined): [string, string] {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return ['431 Request Header Fields Too Large', 'request headers too large'];
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return ['408 Request Timeout', 'the request was not received in time'];
    case 'HPE_INVALID_METHOD':
      return ['400 Bad Request', 'malformed HTTP request: unknown method'];
    case 'HPE_INVALID_EOF_STATE':
      // The client shut down its side mid-request: "does not parse" sent it looking for a syntax error.
      return ['400 Bad Request', 'the connection ended before the whole request arrived (a body shorter than its Content-Length, or no last chunk)'];
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
    case 'HPE_INVALID_TRANSFER_ENCODING':
      return ['400 Bad Request', 'malformed HTTP request: conflicting or invalid Content-Length and Transfer-Encoding'];
    default:
      return ['400 Bad Request', `malformed HTTP request${code ? ` (${code})` : ''}`];
  }
}

/** The requests of one connection not yet answered (see KvHttpServer.inOrder). */
interface ConnectionRequests {
  pending: number;
  /** The handling of the last request, which the next one waits for. */
  chain: Promise<void> | undefined;
  last: IncomingMessage | undefined;
  /** Bytes that do not parse followed: close once every pending request is answered. */
  closing: boolean;
  /** The last request, which can never complete (see cutShort), and its answer. */
  broken: { req: IncomingMessage; answer: HttpError } | undefined;
  /** The connection is not read while too many of its requests wait (socket-reading.ts). */
  readingStopped: boolean;
}
const kRequests = Symbol('requests');
type RequestSocket = Socket & { [kRequests]?: ConnectionRequests };

/** The key-value HTTP server of one raft-node. */
export class KvHttpServer {
  readonly node: Node<KvStore>;
  private readonly server: Server;
  private readonly router: Router<KvHttpServer>;
  private readonly maxValueBytes: number;
  private readonly sockets = new Set<Socket>();
  private inFlight = 0;
  private idle: (() => void) | undefined;
  private shuttingDown = false;
  private boundAddress = '';
  /** Monotonic: a wall clock set back would show a negative uptime. */
  private readonly started = performance.now();
  /** Cumulative 2xx KV writes and reads, for /status (the dashboard derives rates). */
  private readonly counts = { writes: 0, reads: 0 };
  /**
   * Answers per route and status since start. Counted in plain numbers per request and handed
   * to the tsraft_http_requests_total counter when /metrics is scraped: a prom-client child
   * lookup and increment per request cost ~3 % of a leader's CPU under read load.
   */
  private readonly answered = new Map<string, Map<number, number>>();
  private readonly refusedConnections: Counter;
  /** Connections refused since the last line about them, and when that line was written. */
  private refusedSinceLine = 0;
  private refusedLineAt = -Infinity;

  constructor(
    node: Node<KvStore>,
    private readonly options: KvHttpServerOptions,
  ) {
    this.node = node;
    this.maxValueBytes = options.maxValueBytes ?? 1024 * 1024;
    this.router = new Router<KvHttpServer>(ROUTES);
    const answered = this.answered;
    new Counter({
      name: 'tsraft_http_requests_total',
      help: 'HTTP requests answered, by route and status code.',
      labelNames: ['route', 'code'],
      registers: [node.metricsRegistry.registry],
      // The plain counts are the totals: the counter is rebuilt from them at each scrape.
      collect(this: Counter<'route' | 'code'>) {
        this.reset();
        for (const [route, byStatus] of answered) {
          for (const [status, count] of byStatus) this.labels(route, String(status)).inc(count);
        }
      },
    });
    // requireHostHeader off: a request without Host gets our JSON 400, not node:http's empty one.
    // connectionsCheckingInterval: node:http looks for requests past their time limits only this
    // often (30 s by default), so headers that never ended got their 408 after 60 to 90 s instead
    // of the 60 documented (found in a README check).
    this.server = createServer({ keepAliveTimeout: 65_000, requireHostHeader: false, connectionsCheckingInterval: 1_000 }, (req, res) => this.inOrder(req, res));
    this.server.maxConnections = options.maxConnections ?? 1000;
    // Refused silently by node:http, a cap reached locked out /metrics and /status too, with no
    // trace of why (found in a user trial): counted, and a line at most once a minute.
    this.refusedConnections = new Counter({
      name: 'tsraft_http_connections_refused_total',
      help: 'HTTP client connections closed at once because --max-connections were open.',
      registers: [node.metricsRegistry.registry],
    });
    const sockets = this.sockets;
    new Gauge({
      name: 'tsraft_http_connections_open',
      help: 'HTTP client connections open.',
      registers: [node.metricsRegistry.registry],
      collect(this: Gauge) {
        this.set(sockets.size);
      },
    });
    this.server.on('drop', (data?: { remoteAddress?: string }) => this.connectionRefused(data?.remoteAddress));
    // A client may shut down its sending side once its request is sent (`nc -q1`, some
    // scripts). By default node:http then ends the socket at once, and a write or a
    // ReadIndex read that answers later is applied but its answer is lost. With this, node:http
    // keeps the socket until that request's response is written, then closes it (and a
    // half-closed socket with nothing in flight at once). It is a public property of http.Server
    // that its API docs do not list; Node's own test-http-server.js relies on it.
    (this.server as Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    // CONNECT (a proxy tunnel) is not a method of this API. Without a listener node:http closed
    // the connection with no answer at all (found in a user trial).
    this.server.on('connect', (_req: IncomingMessage, socket: Socket) => {
      this.countAnswer('unknown', 405);
      const body = JSON.stringify({ error: 'method CONNECT is not supported: this is not a proxy' });
      socket.end(`HTTP/1.1 405 Method Not Allowed\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    });
    // Malformed HTTP (garbage on the port): answer 400 and drop that connection only.
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
      // Requests on this connection still being answered (bytes that do not parse pipelined after
      // them) get their answers first, then the connection closes: an early 400 took the place of
      // the 200 of a write that was applied (found in review), and so did closing after the first
      // of several (found in a later review). A request cut short can never complete: it is
      // answered 400 in its turn.
      const requests = (socket as RequestSocket)[kRequests];
      if (requests !== undefined && requests.pending > 0) {
        const [status, reason] = clientErrorAnswer(err.code);
        this.cutShort(requests, new HttpError(Number(status.slice(0, 3)), reason, { outcome: 'not applied' }, { Connection: 'close' }));
        return;
      }
      if (requests?.last !== undefined && !requests.last.complete) {
        // Answered before its body was all read (a 4xx found first), then cut short: it had its
        // answer, and a second one (the client half-closed, so it would read it) is one it never
        // asked for (found in review).
        if (socket.writable) socket.end();
        else socket.destroy();
        return;
      }
      if (!socket.writable) {
        socket.destroy();
        return;
      }
      // No request here got its headers through (its handler would have run): a connection ended
      // mid-request ended in the headers, not in a body (`printf 'GET ... \r\n' | nc -q1`
      // without the empty line that ends them).
      const [status, reason] =
        err.code === 'HPE_INVALID_EOF_STATE'
          ? ['400 Bad Request', 'the connection ended before the request\'s headers did (they end with an empty line)']
          : clientErrorAnswer(err.code);
      this.countAnswer('unknown', Number(status.slice(0, 3)));
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Type: application/json\r\n\r\n${JSON.stringify({ error: reason })}`);
    });
  }

  /** "host:port" the server listens on (after start). */
  get address(): string {
    return this.boundAddress;
  }

  /** Starts listening; rejects when the port cannot be bound. */
  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      // Listening takes an IPv6 address bare; addresses and URLs carry it in brackets.
      this.server.listen(this.options.port, this.options.host.replace(/^\[(.*)\]$/, '$1'), () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const a = this.server.address();
    const port = typeof a === 'object' && a ? a.port : this.options.port;
    this.boundAddress = `${this.options.host}:${port}`;
  }

  /**
   * Stops accepting, lets in-flight requests finish (new requests on open connections get 503),
   * then closes every connection. A request whose body has not all arrived is answered 503 at
   * once (see cutShort): nothing of it was proposed, and a client stalled mid-upload held the
   * stop for as long as it liked (found in review: SIGTERM waited on it past a supervisor's stop
   * timeout). The caller stops the Node afterwards.
   */
  async stop(): Promise<void> {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    for (const socket of this.sockets) {
      const requests = (socket as RequestSocket)[kRequests];
      if (requests !== undefined && requests.pending > 0) this.cutShort(requests, new HttpError(503, 'shutting down', { outcome: 'not applied' }, { 'Retry-After': '1', Connection: 'close' }));
    }
    if (this.inFlight > 0) await new Promise<void>((resolve) => (this.idle = resolve));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  /** The document of `GET /status`. */
  status(): NodeStatus {
    const node = this.node;
    const s = node.status();
    const leader = node.leader;
    return {
      address: node.address,
      httpAddress: this.boundAddress,
      state: node.state,
      term: s.term,
      leader: leader ? { address: leader, httpAddress: this.httpAddressOf(leader) } : null,
      commitIndex: s.commitIndex,
      appliedIndex: s.appliedIndex,
      firstIndex: s.firstIndex,
      lastIndex: s.lastIndex,
      snapshotIndex: s.snapshotIndex,
      removedAt: s.removedAt ?? null,
      clusterFingerprint: s.clusterFingerprint ?? null,
      incarnation: s.incarnation ?? null,
      // A removed node never applies its removal: its last-known list still names it.
      members: node
        .members()
        .filter((m) => s.removedAt === undefined || m.address !== node.address)
        .map((m) => ({ ...m, httpAddress: this.httpAddressOf(m.address) })),
      keys: node.context.size,
      digest: node.context.digest(),
      requests: { ...this.counts },
      uptimeSeconds: Math.round((performance.now() - this.started) / 1000),
    };
  }

  private httpAddressOf(peer: string): string | null {
    if (peer === this.node.address) return this.boundAddress;
    return this.node.getNodeMeta(peer) ?? null;
  }

  /**
   * Handles the requests of one connection one at a time, in the order they arrived: node:http
   * starts the handler of every pipelined request at once, and a DELETE pipelined behind a PUT of
   * the same key was proposed first, while the PUT still read its body (found in review).
   */
  private inOrder(req: IncomingMessage, res: ServerResponse): void {
    const socket = req.socket as RequestSocket;
    let requests = socket[kRequests];
    if (requests === undefined) socket[kRequests] = requests = { pending: 0, chain: undefined, last: undefined, closing: false, broken: undefined, readingStopped: false };
    requests.pending++;
    if (requests.pending > MAX_PIPELINED_REQUESTS) {
      requests.readingStopped = true;
      stopReading(socket);
    }
    requests.last = req;
    const connection = requests;
    // One request at a time (the common case) starts at once, without a closure.
    requests.chain = requests.chain === undefined ? this.handleInTurn(req, res, connection) : requests.chain.then(() => this.handleInTurn(req, res, connection));
  }

  /**
   * A connection whose last request can never complete (bytes that do not parse followed it, or
   * the server stops while its body is still on the way: nothing of it was proposed) closes once
   * the requests before it are answered; that one is answered `answer` in its turn, or at once if
   * it is reading its body. A client stalled mid-upload held a stop for as long as it liked.
   */
  private cutShort(requests: ConnectionRequests, answer: HttpError): void {
    requests.closing = true;
    const last = requests.last;
    if (last === undefined || last.complete || requests.broken !== undefined) return;
    requests.broken = { req: last, answer };
    // Reading its body now: end the wait; readBody rejects with the answer itself (a plain error
    // there means an unreadable body, a 400, and a PUT cut short by stop() was told so).
    if (last.listenerCount('error') > 0) last.emit('error', answer);
  }

  private async handleInTurn(req: IncomingMessage, res: ServerResponse, requests: ConnectionRequests): Promise<void> {
    // A connection the client reset: nobody reads the answers, and nothing of its requests waiting
    // their turn was proposed. Handled one by one, a flood of them held the connection (and a
    // stop) for as long as each took to wait for a leader (found in a README check).
    if (!req.socket.destroyed) await this.handle(req, res, requests.broken?.req === req ? requests.broken.answer : undefined);
    --requests.pending;
    if (requests.readingStopped && requests.pending <= MAX_PIPELINED_REQUESTS / 2) {
      requests.readingStopped = false;
      resumeReading(req.socket);
    }
    if (requests.pending > 0) return;
    requests.chain = undefined;
    if (!requests.closing) return;
    const socket = req.socket;
    if (res.writableFinished) socket.destroy();
    else res.once('finish', () => socket.destroy());
  }

  private async handle(req: IncomingMessage, res: ServerResponse, refusal?: HttpError): Promise<void> {
    this.inFlight++;
    let routeName = 'unknown';
    let kind: Route<KvHttpServer>['kind'];
    let answer: Answer;
    try {
      if (refusal) throw refusal;
      // HTTP/1.1 requires Host (RFC 9112 §3.2); node:http's own refusal had an empty body.
      if (req.headers.host === undefined && req.httpVersionMinor >= 1 && req.httpVersionMajor === 1) throw new HttpError(400, 'missing Host header');
      // Split by hand: new URL() per request costs more than the rest of a local read. A target
      // in absolute form (http://host:port/path, RFC 9112 §3.2.2) is taken by its path.
      let target = req.url ?? '/';
      if (target.charCodeAt(0) !== 47 /* / */ && /^https?:\/\//i.test(target)) {
        const slash = target.indexOf('/', target.indexOf('//') + 2);
        target = slash < 0 ? '/' : target.slice(slash);
      }
      const q = target.indexOf('?');
      const pathname = q < 0 ? target : target.slice(0, q);
      const query = new URLSearchParams(q < 0 ? '' : target.slice(q + 1));
      const { route, param } = this.router.match(req.method ?? 'GET', pathname);
      routeName = route.name;
      kind = route.kind;
      checkQuery(route, query);
      const crossSite = crossSiteRefusal(req.method ?? 'GET', req.headers);
      if (crossSite !== undefined) throw new HttpError(403, crossSite);
      checkBodyCoding(req.headers);
      if (this.shuttingDown) throw new HttpError(503, 'shutting down', { outcome: 'not applied' }, { 'Retry-After': '1', Connection: 'close' });
      const result = route.handler(this, { param, query }, req);
      answer = result instanceof Promise ? await result : result;
    } catch (err) {
      const e = errorAnswer(err);
      // /status is read across origins by the other members' dashboards, failures included.
      answer = { status: e.status, body: e.body, headers: routeName === 'GET /status' ? { ...e.headers, ...STATUS_HEADERS } : e.headers };
    }
    this.send(req, res, answer);
    this.countAnswer(routeName, answer.status);
    if (answer.status < 300 && kind !== undefined) this.counts[kind]++;
    if (--this.inFlight === 0 && this.idle) this.idle();
  }

  /** A connection node:http closed at once, --max-connections being open: counted, and said at most once a minute. */
  private connectionRefused(from: string | undefined): void {
    this.refusedConnections.inc();
    this.refusedSinceLine++;
    const now = performance.now();
    if (now - this.refusedLineAt < REFUSED_LOG_INTERVAL_MS) return;
    const line = `refusing HTTP connections (the last from ${from ?? 'an unknown address'}): ${this.server.maxConnections} are open, the --max-connections cap; ${this.refusedSinceLine} refused since ${this.refusedLineAt === -Infinity ? 'start' : 'the last such line'}`;
    this.refusedLineAt = now;
    this.refusedSinceLine = 0;
    if (this.options.log) this.options.log('warn', line);
    else console.error(`${new Date().toISOString()} warn [${this.boundAddress} http] ${line}`);
  }

  /** Counts an answer for tsraft_http_requests_total (see {@link answered}). */
  private countAnswer(route: string, status: number): void {
    let byStatus = this.answered.get(route);
    if (!byStatus) this.answered.set(route, (byStatus = new Map()));
    byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
  }

  private send(req: IncomingMessage, res: ServerResponse, answer: Answer): void {
    let payload: Buffer | string;
    let type = answer.contentType;
    if (Buffer.isBuffer(answer.body) || typeof answer.body === 'string') payload = answer.body;
    else {
      payload = JSON.stringify(answer.body);
      type ??= JSON_TYPE;
    }
    const headers: Record<string, string | number> = { 'Content-Length': Buffer.byteLength(payload), ...answer.headers };
    if (type) headers['Content-Type'] = type;
    res.writeHead(answer.status, headers);
    res.end(payload);
    if (!req.complete) {
      // A body we stopped reading (413, an error before reading it): read and discard the rest
      // rather than close at once — closing a socket with unread input makes the kernel send a
      // reset, which can destroy our answer before the client reads it ("lingering close").
      // A client still sending after a second is cut off.
      req.resume();
      setTimeout(() => {
        if (!req.complete) req.socket.destroy();
      }, 1000).unref();
    }
  }

  // -------------------------------------------------------------------------------------------
  // Handlers behind ROUTES

  async write(req: IncomingMessage, make: (body: Buffer) => Command<KvStore, unknown>): Promise<Answer> {
    const body = await readBody(req, this.maxValueBytes);
    const { index } = await this.node.propose(make(body));
    return indexAnswer(index);
  }

  /**
   * Appends the body to the key's value. The value limit goes into the command, so the state
   * machine refuses an append past it on every member alike (members may run with different
   * --max-value-bytes); a refused append is committed but changes nothing.
   */
  async append(req: IncomingMessage, key: string): Promise<Answer> {
    const body = await readBody(req, this.maxValueBytes);
    const { result, index } = await this.node.propose<AppendResult>(new AppendCommand(key, body, this.maxValueBytes));
    if (!result.ok) {
      const message = `appending ${body.length} bytes to the value of ${result.length} bytes would exceed the limit of ${this.maxValueBytes} bytes; the value is unchanged`;
      throw new HttpError(413, message, { index });
    }
    return indexAnswer(index);
  }

  async read(key: string, query: URLSearchParams): Promise<Answer> {
    // A repeated parameter is ambiguous: which read did the client mean? (size: the common case pays nothing)
    if (query.size > 1 && query.getAll('consistency').length > 1) throw new HttpError(400, 'consistency: given more than once; give it once');
    const consistency = query.get('consistency') ?? 'index';
    if (consistency !== 'index' && consistency !== 'lease' && consistency !== 'local') {
      throw new HttpError(400, `consistency must be index, lease or local, got ${JSON.stringify(consistency)}`);
    }
    // Even a local read: a removed node's data stops at its removal, however long it runs.
    if (this.node.isRemoved()) throw new RemovedError(this.node.status().removedAt ?? 0);
    // While start() recovers, the store is still being rebuilt: a key it holds answered 404, as
    // if deleted, while /status said 503 "starting" (found in a README check). The other reads
    // wait for the start.
    if (consistency === 'local' && this.node.lifecycle !== 'running') throw this.node.lifecycle === 'stopped' ? new StoppedError() : new NotStartedError();
    if (consistency !== 'local') {
      const outcome = await this.node.confirmRead(consistency);
      // Removed while the read waited: its pending reads were refused; say so (410), not "retry".
      if (outcome !== 'confirmed' && this.node.isRemoved()) throw new RemovedError(this.node.status().removedAt ?? 0);
      if (outcome !== 'confirmed') throw this.unconfirmedRead(outcome);
    }
    const value = this.node.context.get(key);
    if (value === undefined) throw new HttpError(404, 'key not found');
    return { status: 200, body: value, contentType: 'application/octet-stream' };
  }

  /** A linearizable read that was not confirmed: 504 when it timed out, else 503 (retry soon). */
  private unconfirmedRead(outcome: Exclude<ReadOutcome, 'confirmed'>): HttpError {
    const leader = this.node.leader;
    if (outcome === 'timedOut') {
      const why = leader ? `leader ${leader} did not confirm it` : 'no leader is known now';
      return new HttpError(504, `the read could not be confirmed within the request timeout (${why}); retry`);
    }
    if (outcome === 'stopped') return new HttpError(503, 'shutting down', {}, { 'Retry-After': '1' });
    const message = leader ? 'the read could not be confirmed: leadership is changing; retry later' : 'no leader is known; retry later';
    return new HttpError(503, message, {}, { 'Retry-After': '1' });
  }

  async cas(req: IncomingMessage, key: string): Promise<Answer> {
    // Room for both strings as JSON text with every byte escaped: a control byte must be written
    // \u00XX (6 bytes of JSON per byte, as every encoder does), non-ASCII text as \uXXXX by
    // Python's json.dumps (up to 3 per byte), base64 4/3; plus the JSON around them. The decoded
    // lengths are checked below.
    const obj = parseJsonObject(await readBody(req, this.maxValueBytes * 12 + CONTROL_BODY_BYTES));
    onlyFields(obj, CAS_FIELDS);
    const encoding = bytesEncodingField(obj, 'encoding');
    const expectText = nullableStringField(obj, 'expect');
    const expect = expectText === null ? null : decodeBytes(expectText, encoding, 'expect');
    const value = decodeBytes(stringField(obj, 'value'), encoding, 'value');
    if (value.length > this.maxValueBytes) throw new HttpError(413, `value of ${value.length} bytes exceeds the limit of ${this.maxValueBytes} bytes`);
    // No stored value is longer than the limit: a longer expect could never match.
    if (expect !== null && expect.length > this.maxValueBytes) throw new HttpError(413, `expect of ${expect.length} bytes exceeds the limit of ${this.maxValueBytes} bytes (no value can match it)`);
    const { result, index } = await this.node.propose<CasResult>(new CasCommand(key, expect, value));
    if (!result.ok) return { status: 409, body: { error: 'compare failed', current: result.current === null ? null : encodeBytes(result.current, encoding), index } };
    return { status: 200, body: { index } };
  }

  async addMember(req: IncomingMessage): Promise<Answer> {
    const obj = parseJsonObject(await readBody(req, CONTROL_BODY_BYTES));
    onlyFields(obj, ['address', 'nonVoting']);
    const address = validAddress(stringField(obj, 'address'));
    await this.node.join({ address, nonVoting: booleanField(obj, 'nonVoting') });
    return { status: 200, body: { members: this.node.members() } };
  }

  async transfer(req: IncomingMessage): Promise<Answer> {
    const obj = parseJsonObject(await readBody(req, CONTROL_BODY_BYTES));
    onlyFields(obj, ['address']);
    const address = validAddress(stringField(obj, 'address'));
    // A removed node's member list is its last view: 410 first, as for every other request.
    if (this.node.isRemoved()) throw new RemovedError(this.node.status().removedAt ?? 0);
    const members = this.node.members();
    // Another name for a member is named, as the library and POST /members do (a README check).
    if (!members.some((m) => m.address === address && !m.nonVoting)) throw new HttpError(400, `${address} is not a voting member${await aliasHint(address, members.map((m) => m.address))}`);
    await this.node.transferLeadership(address);
    return { status: 200, body: { leader: address } };
  }
}

/** 200 `{"index": n}`, the answer of a PUT or an append (built by hand: it is on the write path). */
function indexAnswer(index: number): Answer {
  return { status: 200, body: `{"index":${index}}`, contentType: JSON_TYPE };
}

function validAddress(address: string): string {
  try {
    return checkAddress(address);
  } catch (err) {
    throw new HttpError(400, (err as Error).message);
  }
}

/** Headers of every /status answer: the dashboard of any member reads every member's. */
const STATUS_HEADERS: Readonly<Record<string, string>> = { 'Access-Control-Allow-Origin': '*', 'Cache-Control': 'no-store' };

/** The route table: the README's "The HTTP API" section documents exactly these. */
const ROUTES: Array<Route<KvHttpServer>> = [
  { method: 'GET', pattern: '/kv/{key}', kind: 'reads', query: ['consistency'], handler: (s, p) => s.read(p.param, p.query) },
  { method: 'PUT', pattern: '/kv/{key}', kind: 'writes', handler: (s, p, req) => s.write(req, (body) => new SetCommand(p.param, body)) },
  {
    method: 'DELETE',
    pattern: '/kv/{key}',
    kind: 'writes',
    handler: async (s, p) => ({ status: 200, body: { index: (await s.node.propose(new DeleteCommand(p.param))).index } }),
  },
  { method: 'POST', pattern: '/kv/{key}/append', kind: 'writes', handler: (s, p, req) => s.append(req, p.param) },
  { method: 'POST', pattern: '/kv/{key}/cas', kind: 'writes', handler: (s, p, req) => s.cas(req, p.param) },
  {
    method: 'GET',
    pattern: '/status',
    query: 'any',
    handler: (s) => ({ status: 200, body: s.status() as unknown as Record<string, unknown>, headers: STATUS_HEADERS }),
  },
  {
    method: 'GET',
    pattern: '/metrics',
    query: 'any',
    handler: async (s) => ({ status: 200, body: await s.node.metrics(), contentType: s.node.metricsRegistry.contentType }),
  },
  { method: 'POST', pattern: '/members', handler: (s, _p, req) => s.addMember(req) },
  {
    method: 'DELETE',
    pattern: '/members/{address}',
    handler: async (s, p) => {
      const address = validAddress(p.param);
      await s.node.leave(address);
      // A node that removed itself never applies its removal: its own list still names it.
      return { status: 200, body: { members: s.node.members().filter((m) => m.address !== address) } };
    },
  },
  { method: 'POST', pattern: '/leader/transfer', handler: (s, _p, req) => s.transfer(req) },
  { method: 'POST', pattern: '/snapshot', handler: async (s) => ({ status: 200, body: { index: await s.node.snapshot() } }) },
  { method: 'GET', pattern: '/', query: 'any', handler: () => ({ status: 200, body: dashboardHtml(), contentType: 'text/html; charset=utf-8', headers: { 'Cache-Control': 'no-store' } }) },
  // Browsers ask for it with the dashboard: a 404 showed in the console and counted as an unknown
  // route (an alert on 404s fired whenever someone opened the page; found in review).
  { method: 'GET', pattern: '/favicon.ico', query: 'any', handler: () => ({ status: 204, body: '', headers: { 'Cache-Control': 'max-age=86400' } }) },
];
