/**
 * Drag-to-zoom on line charts (chartjs-plugin-zoom), kept out of chartjs.ts
 * because its gesture library touches `window` on import and chartjs.ts is
 * also loaded by Node unit tests.
 */
import zoomPlugin from 'chartjs-plugin-zoom';
import { Chart } from './chartjs.ts';

Chart.register(zoomPlugin);

/**
 * Zoom options for the x axis: drag a range to zoom in, Ctrl + wheel to
 * zoom around the pointer, Shift + drag to pan; `onChange` is told whether
 * the chart is zoomed (to offer a reset).
 */
export function xZoomOptions(onChange: (zoomed: boolean) => void) {
  const done = ({ chart }: { chart: Chart }): void => onChange(chart.isZoomedOrPanned());
  return {
    zoom: {
      drag: { enabled: true, backgroundColor: 'rgba(37,99,235,0.12)', borderColor: 'rgba(37,99,235,0.6)', borderWidth: 1, threshold: 8 },
      wheel: { enabled: true, modifierKey: 'ctrl' as const },
      mode: 'x' as const,
      onZoomComplete: done,
    },
    pan: { enabled: true, mode: 'x' as const, modifierKey: 'shift' as const, onPanComplete: done },
  };
}
