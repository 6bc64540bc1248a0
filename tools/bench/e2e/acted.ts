/**
 * Which events acted: the reconciler passes each write an idempotency key `<eventId>:<action index>`
 * (functions/shell/reconciler.ts), so a port that notes the keys of the writes it is asked for knows the events
 * that made one. Wraps a port in a proxy (the adapters' methods are bound to the port itself: they use private
 * fields), and counts only in the bench's process.
 */
import type { ActuatorPort } from '../../../adapters/ports/actuator.ts';

const WRITES = new Set(['setCapacity', 'changeInstanceType', 'launchCapacity', 'drainAndRelease']);

export class ActedEvents {
  readonly #events = new Set<string>();

  /** Events that asked for at least one write so far. */
  get count(): number {
    return this.#events.size;
  }

  /** `port`, noting the events its writes are for. */
  watch(port: ActuatorPort): ActuatorPort {
    const bound = new Map<PropertyKey, unknown>();
    return new Proxy(port, {
      get: (target, name) => {
        if (bound.has(name)) return bound.get(name);
        const value = Reflect.get(target, name, target);
        if (typeof value !== 'function') return value;
        const method = value.bind(target) as (request: { idempotencyKey?: string }) => unknown;
        const wrapped = WRITES.has(String(name))
          ? (request: { idempotencyKey?: string }) => {
              const key = request.idempotencyKey;
              this.#events.add(key === undefined ? `unkeyed-${this.#events.size}` : key.slice(0, key.lastIndexOf(':')));
              return method(request);
            }
          : method;
        bound.set(name, wrapped);
        return wrapped;
      },
    });
  }

  /** A factory of ports whose ports are watched. */
  watchAll<T>(factory: (target: T) => ActuatorPort): (target: T) => ActuatorPort {
    const watched = new WeakMap<ActuatorPort, ActuatorPort>();
    return (target) => {
      const port = factory(target);
      let proxy = watched.get(port);
      if (!proxy) {
        proxy = this.watch(port);
        watched.set(port, proxy);
      }
      return proxy;
    };
  }
}
