/**
 * `GET /admin/subjects`: a page of subjects with their state, and a search box.
 *
 * Without a search a page is {@linkcode PAGE_SIZE} subjects in id order, from the store's
 * cursor. A search (`q`, case-insensitive, in the id, issuer and account name) reads the
 * store in batches of {@linkcode SCAN_BATCH} until a page is full or
 * {@linkcode SCAN_LIMIT} subjects were read, and shows the matches of the batches it read;
 * "More results" goes on from there. So a page never costs more than a bounded read,
 * whatever the number of subjects, and nothing is indexed for it.
 *
 * The default subject (the assignment's seed) is listed first on the first page once it has
 * a seed, as the API's list does not: it is the one most often locked by /verify-2fa.
 *
 * @module
 */
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { DEFAULT_SUBJECT, StateStoreUnavailableError } from "../../store/state_store.ts";
import type { SubjectRecord } from "../../store/subject_store.ts";
import type { AdminDeps } from "./admin_deps.ts";
import { Layout, page, subjectPath, Time } from "./layout.tsx";
import { type SubjectView, viewOfDefault, viewOfRecord } from "./subject_view.ts";

/** Subjects a page shows without a search. */
export const PAGE_SIZE = 25;
/** Subjects read per store call during a search. */
const SCAN_BATCH = 100;
/** Subjects a search reads at most for one page. */
const SCAN_LIMIT = 1_000;
/** Longest search text. */
const MAX_QUERY = 128;

/** The notice for `?done=`, from NOTICES' own entries only (`done=constructor` is none). */
function noticeFor(done: string | undefined): string | null {
  return done !== undefined && Object.hasOwn(NOTICES, done) ? NOTICES[done]! : null;
}

const NOTICES: Readonly<Record<string, string>> = {
  deleted: "The subject was deleted.",
};

function matches(record: SubjectRecord, query: string): boolean {
  return [record.id, record.issuer ?? "", record.account_name ?? ""]
    .some((text) => text.toLowerCase().includes(query));
}

/** One page of records and where the next begins. */
async function findRecords(
  deps: AdminDeps,
  query: string,
  cursor: string | undefined,
): Promise<{ records: SubjectRecord[]; next: string | null }> {
  const list = async (limit: number, from: string | undefined) => {
    try {
      return await deps.subjects.list({ limit, ...(from ? { cursor: from } : {}) });
    } catch (error) {
      if (error instanceof StateStoreUnavailableError) throw error;
      throw new HTTPException(400, { message: "That page link is not valid any more." });
    }
  };
  if (query === "") {
    const page = await list(PAGE_SIZE, cursor);
    return { records: page.items, next: page.cursor };
  }
  const records: SubjectRecord[] = [];
  let next: string | null = cursor ?? null;
  let read = 0;
  do {
    const page = await list(SCAN_BATCH, next ?? undefined);
    read += page.items.length;
    records.push(...page.items.filter((record) => matches(record, query)));
    next = page.cursor;
  } while (next !== null && records.length < PAGE_SIZE && read < SCAN_LIMIT);
  return { records, next };
}

function LastUse(props: { view: SubjectView }) {
  const use = props.view.lastUse;
  if (use === null) return <Time ms={null} />;
  return use.kind === "time" ? <Time ms={use.ms} /> : <>counter {use.value.toString()}</>;
}

function SubjectRow(props: { view: SubjectView }) {
  const v = props.view;
  return (
    <tr>
      <td data-label="Subject">
        <a href={subjectPath(v.id)}>{v.id}</a>
        {v.confirmed ? null : (
          <>
            <span class="badge">unconfirmed</span>
          </>
        )}
      </td>
      <td data-label="Type">{v.type.toUpperCase()}</td>
      <td data-label="Parameters">
        {v.algorithm}, {v.digits} digits{v.type === "totp" ? `, ${v.period} s` : ""}
      </td>
      <td data-label="Locked until">
        <Time ms={v.lockedUntilMs} />
      </td>
      <td data-label="Last accepted use">
        <LastUse view={v} />
      </td>
      <td data-label="Recovery codes left">{v.recoveryCodesLeft}</td>
    </tr>
  );
}

/** The subjects list route. */
export function subjectListRoutes(deps: AdminDeps): Hono {
  return new Hono().get("/admin/subjects", async (c) => {
    const query = (c.req.query("q") ?? "").trim().slice(0, MAX_QUERY);
    const lower = query.toLowerCase();
    const cursor = c.req.query("cursor") || undefined;
    const { records, next } = await findRecords(deps, lower, cursor);
    const views = await Promise.all(
      records.filter((r) => r.id !== DEFAULT_SUBJECT).map((r) => viewOfRecord(deps, r)),
    );
    if (cursor === undefined && DEFAULT_SUBJECT.includes(lower)) {
      const defaultView = await viewOfDefault(deps);
      if (defaultView !== null) views.unshift(defaultView);
    }
    const more = next === null
      ? null
      : `/admin/subjects?${new URLSearchParams({ ...(query ? { q: query } : {}), cursor: next })}`;
    const csrf = c.get("adminSession").csrf;
    return page(
      c,
      <Layout
        title="Subjects"
        csrf={csrf}
        section="subjects"
        notice={noticeFor(c.req.query("done"))}
      >
        <form method="get" action="/admin/subjects" class="search" role="search">
          <label for="q">Search by id, issuer or account name</label>
          <input id="q" name="q" type="search" value={query} maxlength={MAX_QUERY} />
          <button type="submit">Search</button>
        </form>
        {views.length === 0
          ? (
            <p>
              {query === "" && cursor === undefined
                ? "No subjects yet. "
                : "No subjects match on this page. "}
              <a href="/admin/enrol">Enrol one</a>.
            </p>
          )
          : (
            <table class="stacked">
              <caption>
                {query === "" ? "Subjects, by id" : `Subjects matching “${query}”, by id`}
              </caption>
              <thead>
                <tr>
                  <th scope="col">Subject</th>
                  <th scope="col">Type</th>
                  <th scope="col">Parameters</th>
                  <th scope="col">Locked until</th>
                  <th scope="col">Last accepted use</th>
                  <th scope="col">Recovery codes left</th>
                </tr>
              </thead>
              <tbody>
                {views.map((view) => <SubjectRow view={view} />)}
              </tbody>
            </table>
          )}
        {cursor === undefined && more === null ? null : (
          <nav class="pager" aria-label="Pages">
            {cursor === undefined ? null : (
              <a
                href={query
                  ? `/admin/subjects?${new URLSearchParams({ q: query })}`
                  : "/admin/subjects"}
              >
                First page
              </a>
            )}
            {more === null ? null : <a href={more}>{query ? "More results" : "Next page"}</a>}
          </nav>
        )}
      </Layout>,
    );
  });
}
