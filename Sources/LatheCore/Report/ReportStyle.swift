/// The report's stylesheet, inlined into the document (no fonts or files from anywhere else:
/// the system's own sans-serif and monospace faces).
enum ReportStyle {
    static let css = """
        :root { color-scheme: light; }
        * { box-sizing: border-box; }
        body { margin: 0; background: #f4f5f7; color: #1f2328;
          font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif; }
        main { max-width: 1240px; margin: 0 auto; padding: 24px 28px 48px; }
        header.top { background: #1f2a44; color: #fff; padding: 20px 28px; }
        header.top h1 { margin: 0 auto; max-width: 1184px; font-size: 22px; font-weight: 600; }
        header.top p { margin: 4px auto 0; max-width: 1184px; color: #c9d1e3; font-size: 13px; }
        section { background: #fff; border: 1px solid #dde1e6; border-radius: 8px; padding: 18px 22px;
          margin: 18px 0; }
        h2 { font-size: 17px; margin: 0 0 10px; color: #1f2a44; }
        h2 .n { color: #8a94a6; font-weight: 400; margin-right: 6px; }
        p.lead { margin: 0 0 12px; color: #4b5563; }
        .notes { background: #fff8e1; border: 1px solid #f0d58a; border-radius: 8px; padding: 10px 18px;
          margin: 18px 0 0; }
        .notes li { margin: 3px 0; }
        dl.summary { display: grid; grid-template-columns: max-content 1fr max-content 1fr; gap: 6px 18px;
          margin: 0; }
        dl.summary dt { color: #6b7280; }
        dl.summary dd { margin: 0; font-weight: 500; overflow-wrap: anywhere; }
        .cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 4px 0 14px; }
        .card { border: 1px solid #dde1e6; border-radius: 8px; padding: 10px 14px; min-width: 150px; background: #fafbfc; }
        .card .k { color: #6b7280; font-size: 12px; }
        .card .v { font-size: 20px; font-weight: 600; color: #1f2a44; }
        .card .s { font-size: 12px; color: #6b7280; }
        .card.bad .v { color: #b42318; }
        .card.good .v { color: #0e7a3d; }
        .scroll { overflow-x: auto; }
        table.plan { border-collapse: collapse; width: 100%; font-size: 12.5px; }
        table.plan th, table.plan td { padding: 4px 7px; border-bottom: 1px solid #eceef1; text-align: left;
          white-space: nowrap; }
        table.plan th { background: #f6f7f9; color: #4b5563; font-weight: 600; position: sticky; top: 0; }
        table.plan td.num, table.plan th.num { text-align: right; font-variant-numeric: tabular-nums; }
        table.plan.narrow { width: auto; min-width: 480px; }
        table.plan td.name { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace;
          font-size: 12px; max-width: 300px; overflow: hidden; text-overflow: ellipsis; }
        table.plan td.settings { color: #1f2a44; white-space: normal; min-width: 140px; max-width: 260px; }
        table.plan td.settings.float { color: #9aa3b2; }
        table.plan tfoot td { font-weight: 600; background: #f6f7f9; }
        table.plan tfoot tr.other td { font-weight: 400; background: #fff; color: #4b5563; }
        .bar { display: inline-block; vertical-align: middle; }
        .key { display: inline-flex; gap: 14px; flex-wrap: wrap; font-size: 12px; color: #4b5563; margin: 8px 0 0; }
        .key i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 5px;
          vertical-align: -1px; }
        .hists { display: grid; grid-template-columns: repeat(auto-fill, minmax(440px, 1fr)); gap: 10px 18px; }
        figure.pair { margin: 0; padding: 8px 10px; border: 1px solid #eceef1; border-radius: 6px; }
        figure.pair figcaption { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace;
          font-size: 12px; margin-bottom: 4px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
        figure.pair figcaption .s { font-family: system-ui, sans-serif; color: #6b7280; margin-left: 6px; }
        figure.pair .charts { display: flex; gap: 10px; }
        figure.pair .chart { display: flex; flex-direction: column; }
        figure.pair .chart span { font-size: 11px; color: #6b7280; }
        figure.pair .range { font-size: 11px; color: #6b7280; display: flex; justify-content: space-between; }
        svg.hist .frame { fill: #fbfbfc; stroke: #e3e6ea; }
        svg.hist .zero { stroke: #b8bec9; stroke-dasharray: 2 2; }
        svg text { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
        svg.heatmap text { font-size: 11px; }
        svg.heatmap text.row { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; fill: #1f2328; }
        svg.heatmap text.column { font-weight: 600; fill: #4b5563; }
        svg.heatmap .legend text { fill: #4b5563; }
        svg.scatter .plot { fill: #fbfbfc; stroke: #d5d9df; }
        svg.scatter .grid { stroke: #e6e8ec; }
        svg.scatter text { font-size: 11.5px; fill: #4b5563; }
        svg.scatter text.axis { font-size: 12.5px; fill: #1f2328; }
        svg.scatter text.label { font-weight: 600; fill: #1f2a44; }
        svg.scatter text.label.config { fill: #b42318; }
        svg.scatter .front { stroke-width: 2; }
        pre { background: #1f2a44; color: #e6edf7; padding: 10px 14px; border-radius: 6px; overflow-x: auto;
          font: 12px/1.5 ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; margin: 4px 0 12px;
          white-space: pre-wrap; overflow-wrap: anywhere; }
        .repro p { margin: 8px 0 2px; color: #4b5563; }
        footer { color: #8a94a6; font-size: 12px; text-align: center; margin-top: 24px; }
        """
}
