/**
 * The control contract as main serves it to the window, the tray and the
 * notifications: every method is a request to the supervised engine host,
 * every pushed event comes from the EventHub, and the supervisor's reports
 * (restarts, giving up, a configuration that cannot start) become `alert`
 * events so the UI hears about them through the same contract.
 */
import type { ControlContract } from '../proxy/control/contract.ts';
import { buildControlMethods } from './control-methods.ts';
import { EventHub } from './event-hub.ts';
import type { EngineSupervisor, SupervisorReport } from './supervisor.ts';

export function desktopControl(supervisor: EngineSupervisor, hub = new EventHub()): ControlContract {
  supervisor.onEvent((event) => hub.publish(event.topic, event.payload as never));
  supervisor.onReport((report) => {
    if (isAlert(report)) hub.publish('events', { type: 'alert', time: Date.now(), message: report.message });
  });
  hub.onTopicsChanged((topics) => supervisor.setTopics(topics));
  const methods = buildControlMethods((method, _channel, args) => supervisor.request(method, args));
  return Object.freeze({ ...methods, subscribe: hub.subscribe.bind(hub) });
}

function isAlert(report: SupervisorReport): boolean {
  return report.type === 'restarting' || report.type === 'gave-up' || report.type === 'config-failed';
}
