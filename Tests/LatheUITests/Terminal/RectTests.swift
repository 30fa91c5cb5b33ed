import Testing
@testable import LatheUI
