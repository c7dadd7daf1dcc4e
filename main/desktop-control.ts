/**
 * The control contract as main serves it to the window, the tray and the
 * notifications: every method is a request to the supervised engine host,
 * every pushed event comes from the EventHub. The supervisor's reports become
 * events too, so the UI hears about them through the same contract: an
 * `alert` with the reason (restarts, giving up, a configuration that cannot
 * start) and a `lifecycle` event (starting / failed, then the restarted
 * engine's own lifecycle once it serves), since the renderer refreshes on
 * lifecycle changes.
 */
import type { ControlContract, EngineLifecycle } from '../proxy/control/contract.ts';
import { buildControlMethods } from './control-methods.ts';
import { EventHub } from './event-hub.ts';
import type { EngineSupervisor, SupervisorReport } from './supervisor.ts';

export function desktopControl(supervisor: EngineSupervisor, hub = new EventHub()): ControlContract {
  let last: EngineLifecycle | undefined;
  supervisor.onEvent((event) => {
    if (event.topic === 'events' && (event.payload as { type?: string }).type === 'lifecycle') last = (event.payload as { lifecycle: EngineLifecycle }).lifecycle;
    hub.publish(event.topic, event.payload as never);
  });
  supervisor.onReport((report) => {
    const time = Date.now();
    if (isAlert(report)) {
      hub.publish('events', { type: 'alert', time, message: report.message });
      const lifecycle: EngineLifecycle = {
        state: report.type === 'restarting' ? 'starting' : 'failed',
        since: time,
        configName: last?.configName ?? 'haproxy.cfg',
        loadedAt: last?.loadedAt ?? 0,
        reloads: last?.reloads ?? 0,
        lastError: report.type === 'config-failed' ? report.error : { code: 'LS_ERR_CTL_STATE', message: report.message },
      };
      hub.publish('events', { type: 'lifecycle', time, lifecycle });
    } else if (report.type === 'started' && report.restarts > 0) {
      void supervisor.request('status', []).then((answer) => {
        if (!answer.ok) return;
        last = (answer.value as { lifecycle: EngineLifecycle }).lifecycle;
        hub.publish('events', { type: 'lifecycle', time: Date.now(), lifecycle: last });
      });
    }
  });
  hub.onTopicsChanged((topics) => supervisor.setTopics(topics));
  const methods = buildControlMethods((method, _channel, args) => supervisor.request(method, args));
  return Object.freeze({ ...methods, subscribe: hub.subscribe.bind(hub) });
}

function isAlert(report: SupervisorReport): report is Extract<SupervisorReport, { type: 'restarting' | 'gave-up' | 'config-failed' }> {
  return report.type === 'restarting' || report.type === 'gave-up' || report.type === 'config-failed';
}
