import { describe, expect, it } from 'vitest';
import { axisWidth, formatAxisValue, formatLegendValue, PALETTE, seriesColors, yRange } from './chartUtil';

describe('chart helpers', () => {
  it('gives a flat series or no data a range that is not empty', () => {
    // A constant series (e.g. swap at 5%) used to make an empty range and break the chart.
    expect(yRange(5, 5, null, null)).toEqual([4.5, 5.5]);
    expect(yRange(0, 0, null, null)).toEqual([-1, 1]);
    expect(yRange(null, null, null, null)).toEqual([0, 1]);
    expect(yRange(5, 5, 0, null)).toEqual([0, 5.25]);
  });

  it("keeps the cell's bounds and leaves some room elsewhere", () => {
    expect(yRange(10, 20, 0, 100)).toEqual([0, 100]);
    expect(yRange(10, 20, null, null)).toEqual([9.5, 20.5]);
    expect(yRange(10, 20, 0, null)).toEqual([0, 21]);
    // Bars start at zero.
    expect(yRange(10, 20, null, null, true)).toEqual([0, 21]);
    expect(yRange(-4, -2, null, null, true)).toEqual([-4.2, 0]);
  });

  it('writes axis labels short', () => {
    expect(formatAxisValue(16_000_000_000)).toBe('16G');
    expect(formatAxisValue(250_000)).toBe('250k');
    expect(formatAxisValue(1_500_000)).toBe('1.5M');
    expect(formatAxisValue(-20_000)).toBe('-20k');
    expect(formatAxisValue(1500)).toBe('1500');
    expect(formatAxisValue(12.5)).toBe('12.5');
    expect(formatAxisValue(0.0001)).toBe('1.0e-4');
    expect(formatAxisValue(0)).toBe('0');
    expect(formatLegendValue(16_000_000_000)).toBe('16,000,000,000');
    expect(formatLegendValue(3.14159)).toBe('3.142');
  });

  it('sizes the axis for its longest label', () => {
    expect(axisWidth(['0', '5'])).toBe(36);
    expect(axisWidth(['1.5G', '16.25G%'])).toBeGreaterThan(axisWidth(['1.5G']));
  });

  it('spreads a line scheme over the series', () => {
    expect(seriesColors(2)).toEqual(PALETTE.slice(0, 2));
    expect(seriesColors(3, ['#000000', '#ffffff'])).toEqual(['#000000', '#808080', '#ffffff']);
    expect(seriesColors(1, ['#112233', '#ffffff'])).toEqual(['#112233']);
    expect(seriesColors(12)[10]).toBe(PALETTE[0]);
  });
});
