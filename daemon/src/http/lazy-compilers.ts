// Fastify's own validator and serializer compilers (Ajv, fast-json-stringify), made lazy: a
// route's schemas are compiled at its first request instead of all of them at start. Compiling
// the whole route table cost ~0.5-0.9 s of CPU at every start, most of it for routes a start
// (or a test daemon) never calls. Requests are validated and answers serialized exactly as
// before: the same compilers with the same options build the same functions, only later. The
// one difference: a schema that cannot compile fails its route's first request (a 500) rather
// than the start; tests/http/route-schemas.test.ts compiles every route's schemas (compileAllSchemas) to
// catch that.
//
// Fastify treats a compilers factory as "custom", which only changes how a `headers` schema is
// handed over (not lower-cased); no route has one.

import { createRequire } from 'node:module';
import type { FastifyServerOptions } from 'fastify';

type CompilerFactory = (externalSchemas: unknown, options: unknown) => (route: unknown) => Compiled;
type Compiled = ((...args: unknown[]) => unknown) & Record<string, unknown>;

// Resolved from fastify's own place: they are its dependencies, in the versions it expects.
const fromFastify = createRequire(createRequire(import.meta.url).resolve('fastify'));

/** A function that compiles on its first use and then is the compiled function (its properties too). */
function lazyFunction(compile: () => Compiled, properties: string[], pending: Set<() => Compiled>): Compiled {
  let compiled: Compiled | undefined;
  const get = (): Compiled => {
    if (compiled === undefined) {
      compiled = compile();
      pending.delete(get);
    }
    return compiled;
  };
  pending.add(get);
  const fn = function (this: unknown, ...args: unknown[]): unknown {
    return get().apply(this, args);
  } as Compiled;
  // Fastify reads `schemaEnv` (to pass Ajv the parent object) before calling a validator and
  // `errors` after a failed one.
  for (const p of properties) Object.defineProperty(fn, p, { get: () => get()[p] });
  return fn;
}

function lazyFactory(factory: CompilerFactory, properties: string[], pending: Set<() => Compiled>): CompilerFactory {
  return (externalSchemas, options) => {
    const compiler = factory(externalSchemas, options);
    return (route) => lazyFunction(() => compiler(route), properties, pending);
  };
}

export interface LazySchemaCompilers {
  schemaController: NonNullable<FastifyServerOptions['schemaController']>;
  /** Compiles every schema not compiled yet (a test's check that all of them can); returns how many. */
  compileAll(): number;
}

export function lazySchemaCompilers(): LazySchemaCompilers {
  const validators = (fromFastify('@fastify/ajv-compiler') as () => CompilerFactory)();
  const serializers = (fromFastify('@fastify/fast-json-stringify-compiler') as () => CompilerFactory)();
  const pending = new Set<() => Compiled>();
  return {
    schemaController: {
      compilersFactory: {
        buildValidator: lazyFactory(validators, ['schemaEnv', 'errors'], pending) as never,
        buildSerializer: lazyFactory(serializers, [], pending) as never,
      },
    },
    compileAll: () => {
      const all = [...pending];
      for (const get of all) get();
      return all.length;
    },
  };
}

const compilersOf = new WeakMap<object, LazySchemaCompilers>();

/** Remembers the compilers a server was built with, for compileAllSchemas(). */
export function registerLazyCompilers(server: object, compilers: LazySchemaCompilers): void {
  compilersOf.set(server, compilers);
}

/** Compiles every route schema of a server built by buildServer (throws as Fastify did at start); returns how many. */
export function compileAllSchemas(server: object): number {
  const compilers = compilersOf.get(server);
  if (!compilers) throw new Error('not a server built with lazy schema compilers');
  return compilers.compileAll();
}
