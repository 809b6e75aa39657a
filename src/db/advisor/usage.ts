import type { A_Expr, CommonTableExpr, Node, ResTarget, SelectStmt } from 'libpg-query';
import { parseViewDefinition } from './parse.ts';
import type { IndexColumn, Relation, WhatIfPlanner } from './planner.ts';

/** A column of a real table (or materialized view) that an expression reads. */
export interface BaseColumn {
  relation: Relation;
  column: string;
}

export interface TableUsage {
  relation: Relation;
  equality: string[];
  range: string[];
  join: string[];
  like: { column: string; ilike: boolean; leadingWildcard: boolean }[];
  /** Each ORDER BY (longest leading part on this table), with directions. */
  orders: IndexColumn[][];
  groups: string[][];
}

/** Which columns of which tables a statement filters, joins, sorts or groups on, through views, CTEs and subqueries. */
export interface StatementUsage {
  tables: Map<string, TableUsage>;
  /** Placeholder number → the column it is compared with (to sample a realistic value). */
  params: Map<number, BaseColumn>;
  limitParams: Set<number>;
  limited: boolean;
  /** The outermost LIMIT when it is a constant and nothing is grouped: the rows stop coming early. */
  limit?: number;
  /** Every name a base table is known by in the statement (folded alias or table name). */
  aliases: Map<string, Relation>;
  /** Views the statement reads, mapped to their base tables. */
  views: string[];
}

interface Source {
  alias: string;
  columns: Map<string, BaseColumn[]>;
}

interface Scope {
  sources: Source[];
  parent?: Scope;
  ctes: Map<string, { cte: CommonTableExpr; busy: boolean; scope: Scope }>;
}

interface Output {
  name: string;
  columns: BaseColumn[];
}

const COMPARISONS = new Set(['=', '<', '>', '<=', '>=']);
const MAX_DEPTH = 24;

export const relationKey = (relation: Relation): string => `${relation.schema}.${relation.name}`;

/** Reads a parsed SELECT against the catalog the planner gives; views are opened and read as their definitions. */
export async function analyseStatement(select: SelectStmt, planner: Pick<WhatIfPlanner, 'describe' | 'dialect'>): Promise<StatementUsage> {
  const usage: StatementUsage = { tables: new Map(), params: new Map(), limitParams: new Set(), limited: false, aliases: new Map(), views: [] };
  await new Analyser(planner, usage).select(select, undefined, 0);
  return usage;
}

class Analyser {
  readonly #planner: Pick<WhatIfPlanner, 'describe' | 'dialect'>;
  readonly #usage: StatementUsage;
  // SQLite names are case-insensitive; PostgreSQL's parser already folded unquoted ones.
  readonly #fold: (name: string) => string;

  constructor(planner: Pick<WhatIfPlanner, 'describe' | 'dialect'>, usage: StatementUsage) {
    this.#planner = planner;
    this.#usage = usage;
    this.#fold = planner.dialect === 'sqlite' ? (name) => name.toLowerCase() : (name) => name;
  }

  async select(stmt: SelectStmt, parent: Scope | undefined, depth: number): Promise<Output[]> {
    if (depth > MAX_DEPTH) return [];
    const scope: Scope = { sources: [], parent, ctes: new Map() };
    for (const node of stmt.withClause?.ctes ?? []) {
      if ('CommonTableExpr' in node && node.CommonTableExpr.ctename)
        scope.ctes.set(this.#fold(node.CommonTableExpr.ctename), { cte: node.CommonTableExpr, busy: false, scope });
    }
    if (stmt.op && stmt.op !== 'SETOP_NONE' && stmt.larg && stmt.rarg) {
      const left = await this.select(stmt.larg, scope, depth + 1);
      const right = await this.select(stmt.rarg, scope, depth + 1);
      return left.map((out, i) => ({ name: out.name, columns: [...out.columns, ...(right[i]?.columns ?? [])] }));
    }
    for (const item of stmt.fromClause ?? []) await this.#from(item, scope, depth);
    if (stmt.whereClause) await this.#predicate(stmt.whereClause, scope, depth);
    const targets = (stmt.targetList ?? []).flatMap((node) => ('ResTarget' in node ? [node.ResTarget] : []));
    const outputs: Output[] = [];
    for (const target of targets) {
      if (target.val) await this.#subLinks(target.val, scope, depth);
      outputs.push(...this.#outputsOf(target, scope));
    }
    if (stmt.havingClause) await this.#subLinks(stmt.havingClause, scope, depth);
    const groups = (stmt.groupClause ?? []).map((node) => this.#term(node, targets, scope, 'input-first'));
    this.#addList(
      groups.map((term) => (term ? { ...term, desc: false } : undefined)),
      (usage, list) => usage.groups.push(list.map((c) => c.name)),
    );
    const orders = (stmt.sortClause ?? []).map((node) => {
      if (!('SortBy' in node) || !node.SortBy.node) return undefined;
      const term = this.#term(node.SortBy.node, targets, scope, 'output-first');
      return term ? { ...term, desc: node.SortBy.sortby_dir === 'SORTBY_DESC' } : undefined;
    });
    this.#addList(orders, (usage, list) => usage.orders.push(list.map(({ name, desc }) => (desc ? { name, desc } : { name }))));
    if (stmt.limitCount) {
      this.#usage.limited = true;
      const limit = strip(stmt.limitCount);
      if ('ParamRef' in limit && limit.ParamRef.number) this.#usage.limitParams.add(limit.ParamRef.number);
      const count = 'A_Const' in limit ? limit.A_Const.ival?.ival : undefined;
      if (depth === 0 && count !== undefined && !stmt.groupClause && !stmt.distinctClause) this.#usage.limit = count;
    }
    return outputs;
  }

  async #from(node: Node, scope: Scope, depth: number): Promise<void> {
    if ('JoinExpr' in node) {
      const join = node.JoinExpr;
      if (join.larg) await this.#from(join.larg, scope, depth);
      if (join.rarg) await this.#from(join.rarg, scope, depth);
      if (join.quals) await this.#predicate(join.quals, scope, depth);
      for (const name of join.usingClause ?? []) {
        const column = 'String' in name ? name.String.sval : undefined;
        if (column) for (const source of scope.sources) for (const base of source.columns.get(this.#fold(column)) ?? []) this.#mark('join', base);
      }
    } else if ('RangeVar' in node) {
      const { schemaname, relname, alias } = node.RangeVar;
      if (!relname) return;
      const aliasName = this.#fold(alias?.aliasname ?? relname);
      const cte = schemaname ? undefined : findCte(scope, this.#fold(relname));
      if (cte && !cte.busy) {
        cte.busy = true;
        try {
          const query = cte.cte.ctequery;
          const outputs = query && 'SelectStmt' in query ? await this.select(query.SelectStmt, cte.scope, depth + 1) : [];
          scope.sources.push({ alias: aliasName, columns: this.#renamed(outputs, names(cte.cte.aliascolnames)) });
        } finally {
          cte.busy = false;
        }
        return;
      }
      if (cte) {
        scope.sources.push({ alias: aliasName, columns: new Map() });
        return;
      }
      const relation = await this.#planner.describe(schemaname, relname);
      if (!relation) {
        scope.sources.push({ alias: aliasName, columns: new Map() });
        return;
      }
      if (relation.kind === 'view') {
        this.#usage.views.push(relation.name);
        const definition = relation.definition ? await parseViewDefinition(relation.definition, this.#planner.dialect) : undefined;
        const outputs = definition ? await this.select(definition, undefined, depth + 1) : [];
        scope.sources.push({ alias: aliasName, columns: this.#renamed(outputs, relation.columns) });
        return;
      }
      this.#usage.aliases.set(aliasName, relation);
      this.#usage.aliases.set(relation.name.toLowerCase(), relation);
      scope.sources.push({ alias: aliasName, columns: new Map(relation.columns.map((column) => [this.#fold(column), [{ relation, column }]])) });
    } else if ('RangeSubselect' in node) {
      const { subquery, alias } = node.RangeSubselect;
      const outputs = subquery && 'SelectStmt' in subquery ? await this.select(subquery.SelectStmt, scope, depth + 1) : [];
      scope.sources.push({ alias: this.#fold(alias?.aliasname ?? ''), columns: this.#renamed(outputs, names(alias?.colnames)) });
    } else if ('RangeFunction' in node) {
      scope.sources.push({ alias: this.#fold(node.RangeFunction.alias?.aliasname ?? ''), columns: new Map() });
    }
  }

  /** Output columns keyed by name; `names` (a view's or alias's column list) renames them by position. */
  #renamed(outputs: Output[], rename: readonly string[] | undefined): Map<string, BaseColumn[]> {
    return new Map(outputs.map((out, i) => [this.#fold(rename?.[i] ?? out.name), out.columns]));
  }

  #outputsOf(target: ResTarget, scope: Scope): Output[] {
    const value = target.val;
    if (value && 'ColumnRef' in value) {
      const fields = value.ColumnRef.fields ?? [];
      const last = fields.at(-1);
      if (last && 'A_Star' in last) {
        const qualifier = fields.length > 1 ? fieldName(fields.at(-2)) : undefined;
        const sources = qualifier ? scope.sources.filter((s) => s.alias === this.#fold(qualifier)) : scope.sources;
        return sources.flatMap((source) => [...source.columns].map(([name, columns]) => ({ name, columns })));
      }
    }
    const columns = value ? this.#columnOf(value, scope) : [];
    const name = target.name ?? (value && 'ColumnRef' in value ? fieldName(value.ColumnRef.fields?.at(-1)) : undefined) ?? '?column?';
    return [{ name, columns }];
  }

  /** An ORDER BY / GROUP BY term: an ordinal, an output alias or a column, resolved to one base column. */
  #term(node: Node, targets: ResTarget[], scope: Scope, precedence: 'output-first' | 'input-first'): { name: string; relation: Relation } | undefined {
    let expr = strip(node);
    if ('A_Const' in expr && expr.A_Const.ival !== undefined) {
      const target = targets[(expr.A_Const.ival.ival ?? 0) - 1];
      if (!target?.val) return undefined;
      expr = target.val;
    } else if ('ColumnRef' in expr && expr.ColumnRef.fields?.length === 1) {
      const name = fieldName(expr.ColumnRef.fields[0]);
      const aliased = targets.find((t) => t.name !== undefined && name !== undefined && this.#fold(t.name) === this.#fold(name));
      const local = this.#columnOf(expr, scope);
      if (aliased?.val && (precedence === 'output-first' || local.length === 0)) expr = aliased.val;
    }
    const columns = this.#columnOf(expr, scope);
    const only = columns.length === 1 ? columns[0] : undefined;
    return only ? { name: only.column, relation: only.relation } : undefined;
  }

  /** Keeps the longest leading run of terms on one table. */
  #addList(
    terms: ({ name: string; relation: Relation; desc: boolean } | undefined)[],
    add: (usage: TableUsage, list: { name: string; desc: boolean }[]) => void,
  ): void {
    const first = terms[0];
    if (!first) return;
    const list: { name: string; desc: boolean }[] = [];
    for (const term of terms) {
      if (!term || term.relation !== first.relation) break;
      if (!list.some((c) => c.name === term.name)) list.push({ name: term.name, desc: term.desc });
    }
    add(this.#tableUsage(first.relation), list);
  }

  async #predicate(node: Node, scope: Scope, depth: number): Promise<void> {
    if ('BoolExpr' in node) {
      if (node.BoolExpr.boolop === 'NOT_EXPR') return this.#subLinks(node, scope, depth);
      for (const arg of node.BoolExpr.args ?? []) await this.#predicate(arg, scope, depth);
    } else if ('A_Expr' in node) {
      this.#expression(node.A_Expr, scope);
      await this.#subLinks(node, scope, depth);
    } else if ('NullTest' in node) {
      if (node.NullTest.nulltesttype === 'IS_NULL' && node.NullTest.arg)
        for (const base of this.#columnOf(node.NullTest.arg, scope)) this.#mark('equality', base);
    } else if ('SubLink' in node) {
      const link = node.SubLink;
      if (link.subLinkType === 'ANY_SUBLINK' && link.testexpr) for (const base of this.#columnOf(link.testexpr, scope)) this.#mark('join', base);
      await this.#subLinks(node, scope, depth);
    } else {
      await this.#subLinks(node, scope, depth);
    }
  }

  #expression(expr: A_Expr, scope: Scope): void {
    const op = expr.name?.map(fieldName).at(-1) ?? '';
    const left = expr.lexpr ? this.#columnOf(expr.lexpr, scope) : [];
    const right = expr.rexpr ? this.#columnOf(expr.rexpr, scope) : [];
    switch (expr.kind) {
      case 'AEXPR_OP':
      case 'AEXPR_NOT_DISTINCT':
      case 'AEXPR_OP_ANY': {
        if (!COMPARISONS.has(op)) return;
        const kind = op === '=' ? 'equality' : 'range';
        if (left.length > 0 && right.length > 0) {
          for (const base of [...left, ...right]) this.#mark('join', base);
        } else if (left.length > 0 && expr.rexpr) this.#compare(left, expr.rexpr, kind);
        else if (right.length > 0 && expr.lexpr) this.#compare(right, expr.lexpr, kind);
        return;
      }
      case 'AEXPR_IN':
        if (op === '=' && expr.rexpr) this.#compare(left, expr.rexpr, 'equality');
        return;
      case 'AEXPR_BETWEEN':
      case 'AEXPR_BETWEEN_SYM':
        if (expr.rexpr) this.#compare(left, expr.rexpr, 'range');
        return;
      case 'AEXPR_LIKE':
      case 'AEXPR_ILIKE': {
        if (op !== '~~' && op !== '~~*') return;
        const pattern = expr.rexpr ? strip(expr.rexpr) : undefined;
        const text = pattern && 'A_Const' in pattern ? pattern.A_Const.sval?.sval : undefined;
        // A pattern given as a parameter may start with a wildcard: only a trigram index serves every value.
        const leadingWildcard = text === undefined || /^[%_]/.test(text);
        for (const base of left) {
          const entry = this.#tableUsage(base.relation);
          entry.like.push({ column: base.column, ilike: op === '~~*', leadingWildcard });
          if (!leadingWildcard && op === '~~') this.#mark('range', base);
        }
        if (expr.rexpr) this.#compare(left, expr.rexpr, undefined);
        return;
      }
      default:
    }
  }

  /** `column <op> other`: a constant or parameter makes it a filter, another column a join. */
  #compare(columns: BaseColumn[], other: Node, kind: 'equality' | 'range' | undefined): void {
    const joined = containsColumnRef(other);
    for (const base of columns) {
      if (kind) this.#mark(joined ? 'join' : kind, base);
      for (const number of paramsIn(other)) if (!this.#usage.params.has(number)) this.#usage.params.set(number, base);
    }
  }

  #columnOf(node: Node, scope: Scope): BaseColumn[] {
    const expr = strip(node);
    if (!('ColumnRef' in expr)) return [];
    const fields = (expr.ColumnRef.fields ?? []).map(fieldName);
    if (fields.some((f) => f === undefined)) return [];
    const column = this.#fold(fields.at(-1) ?? '');
    const qualifier = fields.length >= 2 ? this.#fold(fields.at(-2) ?? '') : undefined;
    for (let at: Scope | undefined = scope; at; at = at.parent) {
      if (qualifier !== undefined) {
        const source = at.sources.find((s) => s.alias === qualifier);
        if (source) return source.columns.get(column) ?? [];
        continue;
      }
      const owners = at.sources.filter((s) => s.columns.has(column));
      if (owners.length === 1) return owners[0]?.columns.get(column) ?? [];
      if (owners.length > 1) return [];
    }
    return [];
  }

  async #subLinks(node: Node, scope: Scope, depth: number): Promise<void> {
    for (const link of findSubLinks(node)) {
      const sub = link.subselect;
      if (sub && 'SelectStmt' in sub) await this.select(sub.SelectStmt, scope, depth + 1);
    }
  }

  #mark(kind: 'equality' | 'range' | 'join', base: BaseColumn): void {
    const list = this.#tableUsage(base.relation)[kind];
    if (!list.includes(base.column)) list.push(base.column);
  }

  #tableUsage(relation: Relation): TableUsage {
    const key = relationKey(relation);
    let entry = this.#usage.tables.get(key);
    if (!entry) {
      entry = { relation, equality: [], range: [], join: [], like: [], orders: [], groups: [] };
      this.#usage.tables.set(key, entry);
    }
    return entry;
  }
}

function findCte(scope: Scope | undefined, name: string): { cte: CommonTableExpr; busy: boolean; scope: Scope } | undefined {
  for (let at = scope; at; at = at.parent) {
    const found = at.ctes.get(name);
    if (found) return found;
  }
  return undefined;
}

function fieldName(node: Node | undefined): string | undefined {
  return node && 'String' in node ? node.String.sval : undefined;
}

function names(nodes: Node[] | undefined): string[] | undefined {
  return nodes?.map((n) => fieldName(n) ?? '');
}

/** Looks through casts and COLLATE: `col::text = $1` still filters on col. */
function strip(node: Node): Node {
  if ('TypeCast' in node && node.TypeCast.arg) return strip(node.TypeCast.arg);
  if ('CollateClause' in node && node.CollateClause.arg) return strip(node.CollateClause.arg);
  return node;
}

/** Every nested object of the AST, as [key, value] pairs, without entering subqueries. */
function* walk(value: unknown): Generator<[string, unknown]> {
  if (Array.isArray(value)) for (const item of value) yield* walk(item);
  else if (value !== null && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      yield [key, inner];
      if (key !== 'SubLink' && key !== 'SelectStmt') yield* walk(inner);
    }
  }
}

function findSubLinks(node: Node): { subselect?: Node }[] {
  const links: { subselect?: Node }[] = [];
  if ('SubLink' in node) return [node.SubLink];
  for (const [key, value] of walk(node)) if (key === 'SubLink') links.push(value as { subselect?: Node });
  return links;
}

function containsColumnRef(node: Node): boolean {
  for (const [key] of walk(node)) if (key === 'ColumnRef') return true;
  return false;
}

function paramsIn(node: Node): number[] {
  const numbers: number[] = [];
  for (const [key, value] of walk(node)) {
    if (key === 'ParamRef' && typeof value === 'object' && value !== null && 'number' in value && typeof value.number === 'number') numbers.push(value.number);
  }
  return numbers;
}
