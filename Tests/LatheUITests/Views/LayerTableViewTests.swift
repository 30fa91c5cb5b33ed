import Testing
@testable import LatheUI

/// Which columns the layer table keeps at a width, and how wide each is.
@Suite struct LayerTableViewTests {
    static func columns(_ width: Int) -> [String] {
        LayerTableView.columns(width: width).map { "\($0.title) \($0.width)" }
    }

    @Test func everyColumnWhenThereIsRoom() {
        #expect(Self.columns(100) == ["name 35", "op 6", "shape 11", "params 6", "settings 15", "sensitivity 11",
                                      "size 8"])
    }

    @Test func namesStopAt40AndTheSettingsColumnTakesUpTo10More() {
        #expect(Self.columns(120) == ["name 40", "op 6", "shape 11", "params 6", "settings 25", "sensitivity 11",
                                      "size 8"])
    }

    @Test func theShapeGoesFirstThenParamsThenOp() {
        #expect(Self.columns(80) == ["name 27", "op 6", "params 6", "settings 15", "sensitivity 11", "size 8"])
        #expect(Self.columns(60) == ["name 21", "settings 15", "sensitivity 11", "size 8"])
    }

    @Test func columnsFillTheWidth() {
        for width in [60, 80, 100] {
            let columns = LayerTableView.columns(width: width)
            // Two columns of marks, then the columns with one space between them.
            #expect(2 + columns.reduce(0) { $0 + $1.width } + columns.count - 1 == width)
        }
    }
}
