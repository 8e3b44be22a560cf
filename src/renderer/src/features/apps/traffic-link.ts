/**
 * "Traffic" beside an app: the Traffic view filtered to the app's route. The engine names
 * an app's route (and its balancer) after its host, NAME.localhost
 * (src/engine/apps/app-routes.ts), so the route filter is the host.
 */
import { useTrafficStore } from '../../stores/traffic.js';
import { useOpenView } from '../shell/views.js';

export function useAppTrafficLink(): (host: string) => void {
  const traffic = useTrafficStore();
  const openView = useOpenView();
  return (host: string) => {
    // Only this app's exchanges: the other filters would hide some of them.
    traffic.clearFilter();
    traffic.setFilter({ route: host });
    // The route menu lists the routes traffic has shown so far; an app nobody called yet
    // would leave it blank while filtering, so the route joins the list.
    if (!traffic.seenRoutes.includes(host)) {
      traffic.seenRoutes = [...traffic.seenRoutes, host].sort();
    }
    openView('traffic');
  };
}
